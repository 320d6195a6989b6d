"""Locate the cliff: the sizes from which np.zeros stays lazy, and numba's faults every page.

Both are found by bisection inside one process, to within one page, on the steady state of
each size (after a few settling calls, so glibc's dynamic mmap threshold has adapted). The
numba/numpy time ratio at a few fixed sizes is measured in the same process, so machine
noise that moves both cancels out of it.
"""

from __future__ import annotations

from typing import Callable, Dict, Sequence, Tuple

from allocbench.catalog import RATIO_SIZES, KiB, MiB
from allocbench.errors import UserError
from allocbench.harness import sameprocess
from allocbench.harness.measure import fault_split, settle
from allocbench.harness.paths import PATHS
from allocbench.harness.probes import machine_facts, page_size

MEASURED_CALLS = 3


class NoCliff(UserError, ValueError):
    """The predicate does not switch between the ends of the range: no step to find."""


def bisect_step(predicate: Callable[[int], bool], low: int, high: int, step: int) -> int:
    """The smallest multiple of `step` in (low, high] where `predicate` holds.

    `predicate` must be false at `low`, true at `high`, and switch once in between.
    """
    if low % step or high % step or low >= high:
        raise ValueError(f"need low < high, both multiples of {step}: {low}, {high}")
    if predicate(low) or not predicate(high):
        raise NoCliff(f"no step between {low} and {high}: the predicate does not switch")
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high


def steady_faults_per_call(path: str, nbytes: int) -> Tuple[float, float]:
    """Minor page faults per call of `path` at `nbytes` once the allocator has settled:
    taken by the allocation, and then by writing the array once."""
    alloc = PATHS[path].bind((nbytes,), "uint8")
    settle(alloc)
    return fault_split(alloc, MEASURED_CALLS)


#: The bisection's range: from below glibc's smallest mmap threshold (128 KiB, its default and
#: where the tunables pin it) to twice its largest (32 MiB).
LOW, HIGH = 16 * KiB, 64 * MiB


def locate(
    low: int = LOW, high: int = HIGH, ratio_sizes: Sequence[int] = RATIO_SIZES
) -> Dict[str, object]:
    """The cliff's figures for this process: sizes in bytes, ratios numba/numpy."""
    page = page_size()

    def numpy_lazy(nbytes: int) -> bool:
        # Lazy: the allocation takes no faults, and the pages it hands out are fresh, so the
        # first write faults them in (one per 2 MiB at the least, with huge pages). A block
        # reused from the heap was zeroed by memset and its write takes no faults.
        in_alloc, in_write = steady_faults_per_call("numpy.zeros", nbytes)
        return in_alloc <= 4 and in_write >= max(1, nbytes / (4 * MiB))

    def numba_faults_every_page(nbytes: int) -> bool:
        return steady_faults_per_call("numba.zeros", nbytes)[0] >= 0.9 * nbytes / page

    return {
        "machine": machine_facts(),
        "page_size": page,
        "numpy_zeros_lazy_from": bisect_step(numpy_lazy, low, high, page),
        "numba_zeros_faults_every_page_from": bisect_step(numba_faults_every_page, low, high, page),
        "numba_over_numpy": {
            str(n): sameprocess.ratio("numba.zeros", "numpy.zeros", n, calls=5)["ratio"]
            for n in ratio_sizes
        },
    }
