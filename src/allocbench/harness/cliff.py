"""Locate the cliff to the byte: the sizes from which np.zeros stays lazy, and numba's faults
every page, in a process that allocates only that size; and the sizes glibc's rules predict.

Each probe runs in a fork of a clean parent (imported, compiled with a one-element array,
nothing large allocated; on macOS a new interpreter), allocates its size a few times so the
allocator settles, then counts page faults: what asv's one-process-per-benchmark runs and a
fresh %timeit see. Where the step falls follows from glibc's malloc: a request is mmap'd when
its chunk reaches the mmap threshold and the heap cannot serve it, and freeing an mmap'd chunk
raises the threshold to that chunk's size, unless the size (with its IS_MMAPPED flag) exceeds
DEFAULT_MMAP_THRESHOLD_MAX. Setting any of the thresholds, top_pad or mmap_max by tunable
fixes the threshold instead. Only a block mmap'd on every call has fresh pages every call.

Beside these, the same bisection inside one long-lived process, where every probe inherits
the heap and the threshold the probes before it left (to the page), and numba/numpy time
ratios at fixed sizes measured in that process.
"""

from __future__ import annotations

import ctypes
import os
import re
import struct
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from allocbench.catalog import MMAP_THRESHOLD_MAX, RATIO_SIZES, KiB, MiB
from allocbench.errors import UserError
from allocbench.harness import isolated, sameprocess
from allocbench.harness.measure import fault_split, settle
from allocbench.harness.paths import PATHS
from allocbench.harness.probes import glibc_version, machine_facts, malloc_in_use, page_size

#: Calls measured after settling; their median leaves out the copy-on-write faults the first
#: pays in a forked child.
MEASURED_CALLS = 3

#: The bisection's range: from below glibc's smallest mmap threshold (128 KiB, its default and
#: where the tunables pin it) to twice its largest (32 MiB).
LOW, HIGH = 16 * KiB, 64 * MiB


class NoCliff(UserError, ValueError):
    """The predicate does not switch between the ends of the range: no step to find."""


# -- glibc's malloc rules (malloc/malloc.c, glibc 2.26 to 2.36 and later), 64-bit ---------------

SIZE_SZ = 8
MALLOC_ALIGNMENT = 16
MINSIZE = 32
IS_MMAPPED = 2
DEFAULT_MMAP_THRESHOLD = 128 * KiB
DEFAULT_MMAP_THRESHOLD_MAX = MMAP_THRESHOLD_MAX
DEFAULT_TRIM_THRESHOLD = 128 * KiB
#: sysdeps/generic/malloc-machine.h
DEFAULT_TOP_PAD = 128 * KiB
DEFAULT_MMAP_MAX = 65536
FASTBIN_CONSOLIDATION_THRESHOLD = 64 * KiB

#: Tunables that stop glibc raising the threshold (each do_set_* sets no_dyn_threshold).
_FIXING = ("mmap_threshold", "trim_threshold", "top_pad", "mmap_max")
#: Tunables whose effect on where a block comes from or on its faults is not modelled here.
_NOT_MODELLED = ("hugetlb", "perturb")


class MallocSettings(NamedTuple):
    """glibc malloc's parameters at start-up, as the tunables leave them."""

    mmap_threshold: int
    trim_threshold: int
    top_pad: int
    mmap_max: int
    #: Whether freeing an mmap'd chunk raises the threshold (no tunable fixed it).
    dynamic: bool


class HeapState(NamedTuple):
    """What a forked child's heap can hand out without growing, as inherited from its parent."""

    #: Size of the main arena's top chunk (mallinfo's keepcost).
    top: int = 0
    #: Largest chunk in the free bins (malloc_info).
    largest_free: int = 0


#: A heap that serves nothing: glibc's rules alone.
NO_HEAP = HeapState()


def _align_up(n: int, unit: int) -> int:
    return -(-n // unit) * unit


def _align_down(n: int, unit: int) -> int:
    return n // unit * unit


def _parse_size(text: str) -> Optional[int]:
    # As glibc's tunables parser: decimal, 0x hexadecimal or 0 octal; anything else is ignored.
    try:
        if text.lower().startswith("0x"):
            value = int(text[2:], 16)
        elif text.startswith("0") and len(text) > 1:
            value = int(text[1:], 8)
        else:
            value = int(text, 10)
    except ValueError:
        return None
    return value if 0 <= value < 2**64 else None


def tunables_in_effect(environ: Mapping[str, str]) -> Dict[str, int]:
    """glibc.malloc tunables set in `environ`, by short name ('mmap_threshold': 131072):
    from GLIBC_TUNABLES, and from the MALLOC_*_ aliases where GLIBC_TUNABLES leaves them unset."""
    found: Dict[str, int] = {}
    for name in _FIXING + _NOT_MODELLED:
        value = _parse_size(environ.get(f"MALLOC_{name.upper()}_", ""))
        if value is not None:
            found[name] = value
    for item in environ.get("GLIBC_TUNABLES", "").split(":"):
        key, _, text = item.partition("=")
        value = _parse_size(text)
        if key.startswith("glibc.malloc.") and value is not None:
            found[key[len("glibc.malloc.") :]] = value
    return found


def malloc_settings(
    tunables: Mapping[str, int], glibc: Tuple[int, int] = (2, 36)
) -> MallocSettings:
    """glibc malloc's parameters under `tunables` (as from `tunables_in_effect`)."""
    modelled = [n for n in _NOT_MODELLED if tunables.get(n)]
    if modelled:
        raise NotImplementedError(f"glibc.malloc.{modelled[0]} is set: its rules are not modelled")
    tunables = dict(tunables)
    if glibc < (2, 35) and tunables.get("mmap_threshold", 0) > DEFAULT_MMAP_THRESHOLD_MAX:
        del tunables["mmap_threshold"]  # before 2.35, above HEAP_MAX_SIZE / 2 it is refused
    return MallocSettings(
        mmap_threshold=tunables.get("mmap_threshold", DEFAULT_MMAP_THRESHOLD),
        trim_threshold=tunables.get("trim_threshold", DEFAULT_TRIM_THRESHOLD),
        top_pad=tunables.get("top_pad", DEFAULT_TOP_PAD),
        mmap_max=tunables.get("mmap_max", DEFAULT_MMAP_MAX),
        dynamic=not any(n in tunables for n in _FIXING),
    )


def chunk_size(request: int) -> int:
    """glibc's request2size: the request plus its size field, aligned, at least MINSIZE."""
    return max(MINSIZE, _align_up(request + SIZE_SZ, MALLOC_ALIGNMENT))


def mapped_size(chunk: int, page: int) -> int:
    """Length of the mapping sysmalloc makes for a chunk (one more size field, whole pages)."""
    return _align_up(chunk + SIZE_SZ, page)


def _smallest_request(chunk: int) -> int:
    """The smallest request whose chunk is at least `chunk`."""
    chunk = _align_up(chunk, MALLOC_ALIGNMENT)
    return 0 if chunk <= MINSIZE else chunk - SIZE_SZ - (MALLOC_ALIGNMENT - 1)


def _mapped_every_call_from(malloc: MallocSettings, page: int) -> int:
    """The smallest chunk that, once over the threshold, stays mmap'd on every call."""
    if malloc.mmap_max <= 0:
        raise NoCliff("glibc.malloc.mmap_max is 0: glibc never maps a block, there is no step")
    if not malloc.dynamic:
        return malloc.mmap_threshold
    # __libc_free raises the threshold when chunksize_nomask (size | IS_MMAPPED) is at most
    # DEFAULT_MMAP_THRESHOLD_MAX: the smallest mapping that never raises it ...
    never_raises = _align_down(DEFAULT_MMAP_THRESHOLD_MAX - IS_MMAPPED, page) + page
    # ... comes from chunks with chunk + SIZE_SZ > never_raises - page.
    return max(malloc.mmap_threshold, never_raises - page - SIZE_SZ + 1)


def _trimmed(top: int, pad: int, page: int) -> int:
    """The top chunk after systrim(pad): whole pages above pad + MINSIZE go back."""
    area = top - MINSIZE - 1
    return top - (_align_down(area - pad, page) if area > pad else 0)


def _top_after_use(chunk: int, heap: HeapState, malloc: MallocSettings, page: int) -> int:
    """The top chunk once `chunk` has been carved from it and freed back into it: a top that
    reaches the trim threshold is trimmed (only frees of 64 KiB or more check)."""
    top = heap.top
    if chunk + MINSIZE > top or chunk < FASTBIN_CONSOLIDATION_THRESHOLD:
        return top
    return _trimmed(top, malloc.top_pad, page) if top >= malloc.trim_threshold else top


def _heap_serves(chunk: int, heap: HeapState, malloc: MallocSettings, page: int) -> bool:
    """Whether the inherited heap hands `chunk` out on every call, so it is never mmap'd."""
    if chunk <= heap.largest_free:
        return True
    return chunk + MINSIZE <= _top_after_use(chunk, heap, malloc, page)


def predicted_from(
    header: int, page: int, malloc: MallocSettings, heap: HeapState = NO_HEAP
) -> int:
    """The smallest array size (bytes) whose block, malloc'd `header` bytes larger, glibc
    serves from fresh mmap'd pages on every call of a process that allocates that size
    repeatedly, starting from `heap`."""
    chunk = _align_up(_mapped_every_call_from(malloc, page), MALLOC_ALIGNMENT)
    while _heap_serves(chunk, heap, malloc, page):
        top = _top_after_use(chunk, heap, malloc, page)
        chunk = _align_up(max(heap.largest_free, top - MINSIZE, chunk) + 1, MALLOC_ALIGNMENT)
    return max(0, _smallest_request(chunk) - header)


def numpy_request_header() -> int:
    """Bytes numpy's np.zeros asks for beyond the array: none, it calls calloc(nbytes, 1)
    (numpy's default_calloc; its small-block cache is for blocks under 1 KiB only)."""
    return 0


def numba_request_header(version: Tuple[int, int], pointer: int = 8, align: int = 32) -> int:
    """Bytes numba's np.zeros asks for beyond the array: NRT_MemInfo_alloc_aligned mallocs
    sizeof(NRT_MemInfo) + size + 2 * align (nrt.cpp), align being numba's preferred array
    alignment (32); NRT_MemInfo has 6 pointer-sized fields since numba 0.54, 5 before."""
    fields = 6 if version >= (0, 54) else 5
    return fields * pointer + 2 * align


def _numba_version() -> Tuple[int, int]:
    import numba

    major, minor = re.match(r"(\d+)\.(\d+)", numba.__version__).groups()
    return int(major), int(minor)


def heap_state() -> HeapState:
    """This process's main-arena heap: its top chunk and its largest free chunk (glibc only)."""
    libc = ctypes.CDLL(None)
    return HeapState(top=_top_chunk(libc), largest_free=_largest_free_chunk(libc))


_MALLINFO_FIELDS = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                    "uordblks", "fordblks", "keepcost")  # fmt: skip


def _top_chunk(libc: ctypes.CDLL) -> int:
    # mallinfo2 (glibc 2.33) has size_t fields; the older mallinfo has int fields.
    if hasattr(libc, "mallinfo2"):
        name, field = "mallinfo2", ctypes.c_size_t
    else:
        name, field = "mallinfo", ctypes.c_int

    class Mallinfo(ctypes.Structure):
        _fields_ = [(f, field) for f in _MALLINFO_FIELDS]

    function = getattr(libc, name)
    function.restype = Mallinfo
    return int(function().keepcost)


def _largest_free_chunk(libc: ctypes.CDLL) -> int:
    buffer, size = ctypes.c_void_p(), ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p
    stream = ctypes.c_void_p(libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size)))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    try:
        xml = ctypes.string_at(buffer, size.value).decode()
    finally:
        libc.free(buffer)
    main_arena = xml.split("</heap>", 1)[0]
    bins = re.findall(r'<(?:size|unsorted) from="\d+" to="(\d+)" total="\d+" count="(\d+)"/>',
                      main_arena)  # fmt: skip
    # A chunk's size field carries flags in its low bits (PREV_INUSE), which malloc_info keeps.
    return max((int(to) & ~7 for to, count in bins if int(count)), default=0)


# -- measurement -----------------------------------------------------------------------------


def bisect_step(
    predicate: Callable[[int], bool], low: int, high: int, step: int = 1, guess: int = 0
) -> int:
    """The smallest multiple of `step` in (low, high] where `predicate` holds.

    `predicate` must be false at `low`, true at `high`, and switch once in between. A `guess`
    (a multiple of `step`) is probed first, with the size one step below it: where the guess is
    right that ends the search, where it is wrong it narrows the range as any probe does.
    """
    if low % step or high % step or low >= high:
        raise ValueError(f"need low < high, both multiples of {step}: {low}, {high}")
    if predicate(low) or not predicate(high):
        raise NoCliff(f"no step between {low} and {high}: the predicate does not switch")
    if low + step < guess < high and guess % step == 0:
        low, high = (low, guess) if predicate(guess) else (guess, high)
        if high == guess and not predicate(guess - step):
            low = guess - step
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high


class Step(NamedTuple):
    """Where a predicate over sizes switches on, as far as probing shows."""

    #: The smallest size where it holds.
    first: int
    #: The smallest size from which it holds at every size probed.
    always_from: int
    #: How many sizes were probed.
    probed: int

    @property
    def monotone(self) -> bool:
        return self.first == self.always_from


def check_sizes(low: int, high: int, step_at: int, page: int) -> List[int]:
    """Sizes probed to verify a step found by bisection: every power of two in the range,
    and a page and 16 bytes either side of the step."""
    powers = [2**k for k in range(low.bit_length() - 1, high.bit_length())]
    near = [step_at + d for d in (-page, -MALLOC_ALIGNMENT, MALLOC_ALIGNMENT, page)]
    return sorted(n for n in set(powers + near) if low <= n <= high)


def locate_step(
    predicate: Callable[[int], bool], low: int, high: int, page: int, guess: int = 0
) -> Step:
    """Bisect `predicate` to the byte (probing `guess` first), probe the sizes of
    `check_sizes`, and where a probe contradicts a single step, bisect again for the first
    size where it holds and the size from which it always does."""
    seen: Dict[int, bool] = {}

    def probe(n: int) -> bool:
        if n not in seen:
            seen[n] = predicate(n)
        return seen[n]

    step_at = bisect_step(probe, low, high, guess=guess)
    for n in check_sizes(low, high, step_at, page):
        probe(n)
    first_true = min(n for n, holds in seen.items() if holds)
    first = bisect_step(
        probe, max(n for n, h in seen.items() if not h and n < first_true), first_true
    )
    last_false = max(n for n, holds in seen.items() if not holds)
    always = bisect_step(probe, last_false, min(n for n, h in seen.items() if h and n > last_false))
    return Step(first, always, len(seen))


def steady_faults_per_call(path: str, nbytes: int) -> Tuple[float, float]:
    """Minor page faults per call of `path` at `nbytes` (uint8, 1-D) once the allocator has
    settled: taken by the allocation, and then by writing the array once."""
    alloc = PATHS[path].bind((nbytes,), "uint8")
    settle(alloc)
    return fault_split(alloc, MEASURED_CALLS)


def lazy(nbytes: int, in_alloc: float, in_write: float) -> bool:
    """Whether an allocation handed out fresh pages: it took ~no faults, and the first write
    did (one per 2 MiB at the least, with huge pages). A block reused from the heap was zeroed
    by memset and its write takes no faults."""
    return in_alloc <= 4 and in_write >= max(1, nbytes / (4 * MiB))


def faults_every_page(nbytes: int, in_alloc: float, page: int) -> bool:
    """Whether an allocation faulted in every page it handed out."""
    return in_alloc >= 0.9 * nbytes / page


Faults = Tuple[float, float]


def _numpy_holds(nbytes: int, faults: Faults, page: int) -> bool:
    return lazy(nbytes, *faults)


def _numba_holds(nbytes: int, faults: Faults, page: int) -> bool:
    return faults_every_page(nbytes, faults[0], page)


def _numba_header() -> int:
    return numba_request_header(_numba_version())


class Cliff(NamedTuple):
    """One of the two steps: its key in the figures, the path it probes, when it holds (from
    the size, the faults in allocation and in the write, and the page size), and how many bytes
    the path asks malloc for beyond the array."""

    key: str
    path: str
    holds: Callable[[int, Faults, int], bool]
    header: Callable[[], int]


CLIFFS = (
    Cliff("numpy_zeros_lazy_from", "numpy.zeros", _numpy_holds, numpy_request_header),
    Cliff("numba_zeros_faults_every_page_from", "numba.zeros", _numba_holds, _numba_header),
)


def _fresh_predicate(cliff: Cliff, page: int) -> Callable[[int], bool]:
    def holds(nbytes: int) -> bool:
        faults = isolated.in_fresh_process(steady_faults_per_call, cliff.path, nbytes)
        return cliff.holds(nbytes, tuple(faults), page)

    return holds


def _one_process_predicate(cliff: Cliff, page: int) -> Callable[[int], bool]:
    return lambda nbytes: cliff.holds(nbytes, steady_faults_per_call(cliff.path, nbytes), page)


def _prediction_inputs() -> Tuple[Optional[MallocSettings], HeapState, Optional[str]]:
    """glibc's settings and this process's heap, or the reason there is no prediction."""
    if glibc_version() is None:
        return None, NO_HEAP, "not glibc: glibc's malloc rules do not apply"
    malloc = malloc_in_use()
    if malloc != "glibc":
        return None, NO_HEAP, f"malloc here is {malloc}'s: glibc's rules do not apply"
    if struct.calcsize("P") != 8:
        return None, NO_HEAP, "glibc's rules are modelled for 64-bit processes only"
    try:
        return malloc_settings(tunables_in_effect(os.environ), glibc_version()), heap_state(), None
    except NotImplementedError as exc:
        return None, NO_HEAP, str(exc)


def _predicted(
    cliff: Cliff, page: int, malloc: Optional[MallocSettings], heap: HeapState
) -> Tuple[Optional[int], Optional[str]]:
    """glibc's prediction for `cliff`, or None and why there is none."""
    if malloc is None:
        return None, None
    try:
        return predicted_from(cliff.header(), page, malloc, heap), None
    except NoCliff as exc:
        return None, str(exc)


def _fresh_figures(
    cliff: Cliff, page: int, low: int, high: int, predicted: Optional[int]
) -> Dict[str, object]:
    step = locate_step(_fresh_predicate(cliff, page), low, high, page, predicted or 0)
    return {
        "measured": step.first,
        "always_from": step.always_from,
        "monotone": step.monotone,
        "sizes_probed": step.probed,
        "predicted": predicted,
        "request_header": cliff.header(),
        "agree": None if predicted is None else predicted == step.first,
    }


def locate_here(
    low: int = LOW, high: int = HIGH, ratio_sizes: Sequence[int] = RATIO_SIZES
) -> Dict[str, object]:
    """The cliff's figures, with this process as the clean parent of every fresh probe; run
    in a new interpreter by `locate`. Per cliff: `measured` (fresh processes, to the byte),
    `predicted` (glibc's rules), `one_process` (bisected to the page inside this process
    afterwards, every probe inheriting the heap and threshold the ones before it left)."""
    page = page_size()
    for cliff in CLIFFS:
        PATHS[cliff.path].bind((1,), "uint8")  # compiled here, so the children only allocate
    malloc, heap, unavailable = _prediction_inputs()
    figures: Dict[str, object] = {
        "machine": machine_facts(),
        "page_size": page,
        "glibc_malloc": malloc._asdict() if malloc else None,
        "inherited_heap": heap._asdict(),
    }
    for cliff in CLIFFS:
        predicted, why_not = _predicted(cliff, page, malloc, heap)
        unavailable = unavailable or why_not
        figures[cliff.key] = _fresh_figures(cliff, page, low, high, predicted)
    figures["prediction_unavailable"] = unavailable
    # The fresh probes ran in children and left this process's heap untouched until now.
    for cliff in CLIFFS:
        predicate = _one_process_predicate(cliff, page)
        figures[cliff.key]["one_process"] = bisect_step(predicate, low, high, page)
    figures["numba_over_numpy"] = {
        str(n): sameprocess.ratio("numba.zeros", "numpy.zeros", n, rounds=5)["ratio"]
        for n in ratio_sizes
    }
    return figures


def locate(
    low: int = LOW, high: int = HIGH, ratio_sizes: Sequence[int] = RATIO_SIZES
) -> Dict[str, object]:
    """The cliff's figures (sizes in bytes, ratios numba/numpy), measured in a new interpreter
    so that nothing the caller allocated can bias them."""
    return isolated.in_new_interpreter(locate_here, low, high, list(ratio_sizes))
