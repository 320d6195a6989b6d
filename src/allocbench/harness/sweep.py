"""The seed's figure, measured: its three functions over a dense sweep of sizes, one process.

The seed's plot script timed ``numpy_zeros``, ``numba_zeros`` and ``numba_loop`` at every
n from 0 to 4100 in steps of 10 (0 to 128 MiB), in one process, one size after another. This
does the same on a coarser grid, with the three functions called alternately at each size and
the median of a few calls kept, so that machine noise moves all three alike.
"""

from __future__ import annotations

import functools
from typing import Callable, Dict, List, Sequence

from allocbench.catalog import SWEEP_NS
from allocbench.harness import seed
from allocbench.harness.measure import interleaved_medians, timer

#: The seed's functions, by the names its plot's legend used.
FUNCTIONS: Dict[str, Callable[[int], object]] = {
    "numpy_zeros": seed.numpy_zeros,
    "numba_zeros": seed.numba_zeros,
    "numba_loop": seed.numba_loop,
}


def sweep(ns: Sequence[int] = SWEEP_NS, calls: int = 3) -> Dict[str, List[float]]:
    """{function name: median seconds per call at each n}, the functions timed alternately."""
    seed.compile_all()
    medians: Dict[str, List[float]] = {name: [] for name in FUNCTIONS}
    for n in ns:
        timers = [timer(functools.partial(function, n)) for function in FUNCTIONS.values()]
        for name, value in zip(FUNCTIONS, interleaved_medians(timers, calls)):
            medians[name].append(value)
    return medians
