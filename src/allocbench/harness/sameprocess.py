"""One allocation path's time over another's, measured in one process, calls interleaved.

On a noisy machine two paths timed minutes apart can drift by tens of percent, more than
the differences that matter between near-equal paths. Here both are bound once, settled, and
then timed back to back, round after round, so whatever slows the machine slows both; the
median of the rounds' ratios is what is left.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Optional

from allocbench.harness import probes
from allocbench.harness.measure import (
    calls_per_sample,
    interleaved_medians,
    paired_ratio,
    settle,
    timer,
)
from allocbench.harness.paths import PATHS

#: Each sample repeats the call until it lasts this long (seconds), so that sub-microsecond
#: calls are timed against a clock and a timer cost they dwarf.
SAMPLE_SECONDS = 0.005
#: Rounds of one sample each, both paths, in a ratio: as many as fit in BUDGET_SECONDS,
#: within these bounds. How far bench_ratio's figures spread this way from one process to the
#: next is measured by the loop in README.md's "How each ratio is taken". The fewest rounds
#: are taken where one call lasts a tenth of a second or more: those figures are page-fault
#: bound and steady.
MIN_ROUNDS, MAX_ROUNDS = 5, 41
BUDGET_SECONDS = 1.0
#: Calls of each path before timing: glibc's dynamic mmap threshold moves after the first
#: free of a mapped block, and the second call sees where it settles.
WARM_CALLS = 2


@dataclass(frozen=True)
class Ratio:
    """Two paths timed alternately in one process: each one's median seconds per call, and
    the median of the rounds' ratios of the first to the second."""

    numerator_seconds: float
    denominator_seconds: float
    ratio: float


def ratio(
    numerator: str,
    denominator: str,
    nbytes: int,
    write: bool = False,
    rounds: Optional[int] = None,
    huge_pages: bool = True,
) -> Ratio:
    """Time of `numerator` over `denominator` at `nbytes` (uint8, 1-D), both timed in this
    process, alternately: the median of per-round ratios, and each one's median seconds per
    call. With `write`, each call also writes every element. `rounds` is how many rounds (by
    default as many as fit in about a second, 5 to 41). Without `huge_pages` the process gets
    no transparent huge pages meanwhile (numpy advises them for its large arrays, numba's
    runtime never does, and how many the kernel can supply changes from minute to minute)."""
    off = probes.huge_pages_off() if not huge_pages else contextlib.nullcontext()
    with off:
        allocs = [PATHS[p].bind((nbytes,), "uint8") for p in (numerator, denominator)]
        for alloc in allocs:
            settle(alloc, WARM_CALLS, write=write)
        plans = [calls_per_sample(a, write, SAMPLE_SECONDS) for a in allocs]
        timers = [timer(a, write, number) for a, (number, _) in zip(allocs, plans)]
        if rounds is None:
            one_round = sum(number * one for number, one in plans)
            rounds = int(min(MAX_ROUNDS, max(MIN_ROUNDS, BUDGET_SECONDS / one_round)))
        return Ratio(*paired_ratio(*timers, rounds))


def inside_njit_ratio(
    nbytes: int, calls: int = 200, rounds: int = 7, write: bool = False, fix: bool = True
) -> Ratio:
    """allocbench.zeros (with `fix`; else np.zeros) allocating inside one @njit loop, per
    array, over numpy's np.zeros called from a Python loop, per array (uint8, 1-D): what each
    costs where it is used, without the @njit call boundary that every single-call path pays.
    With `write`, every element of each array is written once (`a[:] = 1` in the loop,
    `a.fill(1)` in Python)."""
    import numpy as np

    from allocbench.harness.kernels import kernel

    kind = ("allocbench" if fix else "numba") + "_zeros_loop" + ("_write" if write else "")
    loop = kernel(kind, "uint8", 1)
    shape = (nbytes,)
    loop(shape, 1)

    def compiled() -> float:
        start = time.perf_counter()
        loop(shape, calls)
        return (time.perf_counter() - start) / calls

    def python() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            a = np.zeros(shape, np.uint8)
            if write:
                a.fill(1)
            a[-1]
        return (time.perf_counter() - start) / calls

    top, bottom = interleaved_medians([compiled, python], rounds)
    return Ratio(top, bottom, top / bottom)
