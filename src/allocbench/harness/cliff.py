"""Locate the cliff to the byte: the sizes from which np.zeros stays lazy, and numba's faults
every page, in a process that allocates only that size; beside them, the sizes glibc's rules
predict (`allocbench.harness.glibc`).

Each probe runs in a fork of a clean parent (imported, compiled with a one-element array,
nothing large allocated; on macOS a new interpreter), allocates its size a few times so the
allocator settles, then counts page faults: what asv's one-process-per-benchmark runs and a
fresh %timeit see.

Beside these, the same bisection inside one long-lived process, where every probe inherits
the heap and the threshold the probes before it left (to the page), and numba/numpy time
ratios at fixed sizes measured in that process.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from allocbench.catalog import RATIO_SIZES, KiB, MiB
from allocbench.harness import isolated, sameprocess
from allocbench.harness.glibc import (
    MALLOC_ALIGNMENT,
    NO_HEAP,
    HeapState,
    MallocSettings,
    NoCliff,
    malloc_settings,
    numba_request_header,
    numpy_request_header,
    predicted_from,
    tunables_in_effect,
)
from allocbench.harness.measure import fault_split, settle
from allocbench.harness.paths import PATHS
from allocbench.harness.probes import (
    MachineFacts,
    glibc_version,
    heap_state,
    machine_facts,
    malloc_in_use,
    page_size,
)

#: Calls measured after settling; their median leaves out the copy-on-write faults the first
#: pays in a forked child.
MEASURED_CALLS = 3

#: The bisection's range: from below glibc's smallest mmap threshold (128 KiB, its default and
#: where the tunables pin it) to twice its largest (32 MiB).
LOW, HIGH = 16 * KiB, 64 * MiB


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
        """Whether it is one step: from the first size where it holds, it always does."""
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
    from allocbench.fix.versions import numba_version

    return numba_request_header(numba_version())


class Cliff(NamedTuple):
    """One of the two steps: what holds from it on, the path it probes, when it holds (from
    the size, the faults in allocation and in the write, and the page size), and how many bytes
    the path asks malloc for beyond the array."""

    what: str
    path: str
    holds: Callable[[int, Faults, int], bool]
    header: Callable[[], int]


NUMPY_LAZY = Cliff(
    "numpy.zeros stays lazy (fresh pages, faulted in by the first write)",
    "numpy.zeros",
    _numpy_holds,
    numpy_request_header,
)
NUMBA_EAGER = Cliff(
    "numba.zeros faults every page in the allocation", "numba.zeros", _numba_holds, _numba_header
)
CLIFFS = (NUMPY_LAZY, NUMBA_EAGER)


@dataclass(frozen=True)
class StepFigures:
    """One cliff, located: to the byte in fresh processes, as glibc's rules predict it, and to
    the page inside one long-lived process."""

    #: The smallest size where it holds, each size probed in a fresh process.
    measured: int
    #: The smallest size from which it holds at every size probed.
    always_from: int
    #: Whether those two are the same size: one step.
    monotone: bool
    sizes_probed: int
    #: glibc's rules' prediction of `measured`; None where there is none.
    predicted: Optional[int]
    #: Bytes the path asks malloc for beyond the array.
    request_header: int
    #: Whether `predicted` is `measured`; None without a prediction.
    agree: Optional[bool]
    #: The step bisected to the page inside one process, every probe inheriting the heap and
    #: the threshold the probes before it left.
    one_process: int


@dataclass(frozen=True)
class CliffFigures:
    """What `locate` finds: the machine, glibc's settings and the heap each fresh probe
    inherits, the two cliffs, and numba's time over numpy's at fixed sizes."""

    machine: MachineFacts
    page_size: int
    #: None where glibc's rules do not apply.
    glibc_malloc: Optional[MallocSettings]
    inherited_heap: HeapState
    numpy_zeros_lazy_from: StepFigures
    numba_zeros_faults_every_page_from: StepFigures
    #: Why there is no prediction, or None.
    prediction_unavailable: Optional[str]
    #: numba.zeros's time over numpy.zeros's in one process, by size in bytes.
    numba_over_numpy: Dict[int, float]

    def steps(self) -> Tuple[Tuple[Cliff, StepFigures], ...]:
        """Each cliff with its figures, in the order of CLIFFS."""
        return (
            (NUMPY_LAZY, self.numpy_zeros_lazy_from),
            (NUMBA_EAGER, self.numba_zeros_faults_every_page_from),
        )


def _fresh_predicate(cliff: Cliff, page: int) -> Callable[[int], bool]:
    def holds(nbytes: int) -> bool:
        faults = isolated.in_fresh_process(steady_faults_per_call, cliff.path, nbytes)
        return cliff.holds(nbytes, faults, page)

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


def locate_here(
    low: int = LOW, high: int = HIGH, ratio_sizes: Sequence[int] = RATIO_SIZES
) -> CliffFigures:
    """The cliff's figures, with this process as the clean parent of every fresh probe; run
    in a new interpreter by `locate`. Per cliff: `measured` (fresh processes, to the byte),
    `predicted` (glibc's rules), `one_process` (bisected to the page inside this process
    afterwards, every probe inheriting the heap and threshold the ones before it left)."""
    page = page_size()
    for cliff in CLIFFS:
        PATHS[cliff.path].bind((1,), "uint8")  # compiled here, so the children only allocate
    malloc, heap, unavailable = _prediction_inputs()
    machine = machine_facts()
    fresh: Dict[Cliff, Tuple[Optional[int], Step]] = {}
    for cliff in CLIFFS:
        predicted, why_not = _predicted(cliff, page, malloc, heap)
        unavailable = unavailable or why_not
        predicate = _fresh_predicate(cliff, page)
        fresh[cliff] = predicted, locate_step(predicate, low, high, page, predicted or 0)
    # The fresh probes ran in children and left this process's heap untouched until now.
    steps: Dict[Cliff, StepFigures] = {}
    for cliff, (predicted, step) in fresh.items():
        steps[cliff] = StepFigures(
            measured=step.first,
            always_from=step.always_from,
            monotone=step.monotone,
            sizes_probed=step.probed,
            predicted=predicted,
            request_header=cliff.header(),
            agree=None if predicted is None else predicted == step.first,
            one_process=bisect_step(_one_process_predicate(cliff, page), low, high, page),
        )
    return CliffFigures(
        machine=machine,
        page_size=page,
        glibc_malloc=malloc,
        inherited_heap=heap,
        numpy_zeros_lazy_from=steps[NUMPY_LAZY],
        numba_zeros_faults_every_page_from=steps[NUMBA_EAGER],
        prediction_unavailable=unavailable,
        numba_over_numpy={
            n: sameprocess.ratio("numba.zeros", "numpy.zeros", n, rounds=5).ratio
            for n in ratio_sizes
        },
    )


def locate(
    low: int = LOW, high: int = HIGH, ratio_sizes: Sequence[int] = RATIO_SIZES
) -> CliffFigures:
    """The cliff's figures (sizes in bytes, ratios numba/numpy), measured in a new interpreter
    so that nothing the caller allocated can bias them."""
    return isolated.in_new_interpreter(locate_here, low, high, list(ratio_sizes))
