"""One allocation path's time over another's, measured in one process, calls interleaved.

On a noisy machine two paths timed minutes apart can drift by tens of percent, more than
the differences that matter between near-equal paths. Here both are bound once, settled, and
then called alternately, so whatever slows the machine slows both; the ratio of their
medians is what is left.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, Dict, Sequence

from allocbench.harness.paths import PATHS

SETTLE_CALLS = 3


def _timer(alloc: Callable, write: bool) -> Callable[[], float]:
    def once() -> float:
        start = time.perf_counter()
        array = alloc()
        if write:
            array.fill(1)
        seconds = time.perf_counter() - start
        del array
        return seconds

    return once


def ratio(
    numerator: str, denominator: str, nbytes: int, write: bool = False, calls: int = 15
) -> Dict[str, float]:
    """Median time of `numerator` over `denominator` at `nbytes` (uint8, 1-D), both timed
    alternately in this process; with `write`, each call also writes every element."""
    timers = [_timer(PATHS[p].bind((nbytes,), "uint8"), write) for p in (numerator, denominator)]
    for timer in timers:
        for _ in range(SETTLE_CALLS):
            timer()
    samples: Sequence[list] = ([], [])
    for i in range(calls):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            samples[which].append(timers[which]())
    top, bottom = (statistics.median(s) for s in samples)
    return {"numerator_seconds": top, "denominator_seconds": bottom, "ratio": top / bottom}


def inside_njit_ratio(
    nbytes: int, calls: int = 200, rounds: int = 7, write: bool = False
) -> Dict[str, float]:
    """allocbench.zeros allocating inside one @njit loop, per array, over numpy's np.zeros
    called from a Python loop, per array (uint8, 1-D): what each costs where it is used,
    without the @njit call boundary that every single-call path pays. With `write`, every
    element of each array is written once (`a[:] = 1` in the loop, `a.fill(1)` in Python)."""
    import numpy as np

    from allocbench.harness.kernels import kernel

    loop = kernel("allocbench_zeros_loop_write" if write else "allocbench_zeros_loop", "uint8", 1)
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

    samples: Sequence[list] = ([], [])
    for i in range(rounds):
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            samples[which].append((compiled, python)[which]())
    top, bottom = (statistics.median(s) for s in samples)
    return {"numerator_seconds": top, "denominator_seconds": bottom, "ratio": top / bottom}
