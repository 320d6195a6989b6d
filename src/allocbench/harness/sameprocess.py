"""One allocation path's time over another's, measured in one process, calls interleaved.

On a noisy machine two paths timed minutes apart can drift by tens of percent, more than
the differences that matter between near-equal paths. Here both are bound once, settled, and
then called alternately, so whatever slows the machine slows both; the ratio of their
medians is what is left.
"""

from __future__ import annotations

import time
from typing import Dict

from allocbench.harness.measure import interleaved_medians, settle, timer
from allocbench.harness.paths import PATHS


def _figures(top: float, bottom: float) -> Dict[str, float]:
    return {"numerator_seconds": top, "denominator_seconds": bottom, "ratio": top / bottom}


def ratio(
    numerator: str, denominator: str, nbytes: int, write: bool = False, calls: int = 15
) -> Dict[str, float]:
    """Median time of `numerator` over `denominator` at `nbytes` (uint8, 1-D), both timed
    alternately in this process; with `write`, each call also writes every element."""
    allocs = [PATHS[p].bind((nbytes,), "uint8") for p in (numerator, denominator)]
    for alloc in allocs:
        settle(alloc, write=write)
    return _figures(*interleaved_medians([timer(a, write) for a in allocs], calls))


def inside_njit_ratio(
    nbytes: int, calls: int = 200, rounds: int = 7, write: bool = False, fix: bool = True
) -> Dict[str, float]:
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

    return _figures(*interleaved_medians([compiled, python], rounds))
