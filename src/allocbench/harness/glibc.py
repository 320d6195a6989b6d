"""A model of glibc's malloc (malloc/malloc.c, glibc 2.26 to 2.36 and later, 64-bit): which
requests it serves from fresh mmap'd pages on every call, and so where the cliff falls.

A request is mmap'd when its chunk reaches the mmap threshold and the heap cannot serve it.
Freeing an mmap'd chunk raises the threshold to that chunk's size, unless the size (with its
IS_MMAPPED flag) exceeds DEFAULT_MMAP_THRESHOLD_MAX. Setting any of the thresholds, top_pad or
mmap_max by tunable fixes the threshold instead. Only a block mmap'd on every call has fresh
pages every call.

Pure functions of their arguments: nothing here reads or measures the process. The heap a
process holds is read by `allocbench.harness.probes.heap_state`; `allocbench.harness.cliff`
measures where the cliff is and sets this model's prediction beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from allocbench.catalog import MMAP_THRESHOLD_MAX, TUNABLES_VARIABLE, KiB
from allocbench.errors import UserError

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


class NoCliff(UserError, ValueError):
    """No step to find: glibc never maps a block, or a predicate does not switch in a range."""


@dataclass(frozen=True)
class MallocSettings:
    """glibc malloc's parameters at start-up, as the tunables leave them."""

    mmap_threshold: int
    trim_threshold: int
    top_pad: int
    mmap_max: int
    #: Whether freeing an mmap'd chunk raises the threshold (no tunable fixed it).
    dynamic: bool


@dataclass(frozen=True)
class HeapState:
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
    for item in environ.get(TUNABLES_VARIABLE, "").split(":"):
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
