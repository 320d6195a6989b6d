"""The seed's figure, measured: its three functions over a dense sweep of sizes, one process.

The seed's plot script timed ``numpy_zeros``, ``numba_zeros`` and ``numba_loop`` at every
n from 0 to 4100 in steps of 10 (0 to 128 MiB), in one process, one size after another. This
does the same on a coarser grid, with the three functions called alternately at each size and
the median of a few calls kept, so that machine noise moves all three alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, List, Sequence

from allocbench.catalog import SWEEP_NS
from allocbench.harness import seed
from allocbench.harness.measure import interleaved_medians, timer


@dataclass(frozen=True)
class Sweep:
    """Median seconds per call at each n of the sweep, per function of the seed's plot (named
    as its legend named them)."""

    numpy_zeros: List[float]
    numba_zeros: List[float]
    numba_loop: List[float]


#: The seed's functions, in the order of Sweep's fields.
FUNCTIONS: Sequence[Callable[[int], object]] = (seed.numpy_zeros, seed.numba_zeros, seed.numba_loop)


def sweep(ns: Sequence[int] = SWEEP_NS, calls: int = 3) -> Sweep:
    """Each function's median seconds per call at each n, the functions timed alternately."""
    seed.compile_all()
    medians: List[List[float]] = [[] for _ in FUNCTIONS]
    for n in ns:
        timers = [timer(functools.partial(function, n)) for function in FUNCTIONS]
        for series, value in zip(medians, interleaved_medians(timers, calls)):
            series.append(value)
    return Sweep(**{f.__name__: series for f, series in zip(FUNCTIONS, medians)})
