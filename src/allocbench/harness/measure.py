"""The measuring primitives every harness module shares: settle, count faults, interleave.

Page faults are exact counts (the kernel's, read with getrusage), so they do not move with
machine noise; times do, so two paths compared by time are called alternately in one process
and compared by their medians.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, List, Sequence, Tuple

import numpy as np

from allocbench.harness.probes import minor_faults

Alloc = Callable[[], np.ndarray]

#: Calls made before measuring, so glibc's dynamic mmap threshold and numba's caches settle.
SETTLE_CALLS = 3


def settle(alloc: Alloc, calls: int = SETTLE_CALLS, write: bool = True) -> None:
    """Call `alloc` a few times (writing each array unless told not to) and drop the arrays."""
    for _ in range(calls):
        array = alloc()
        if write:
            array.fill(1)
        del array


def timer(call: Callable[[], object], write: bool = False) -> Callable[[], float]:
    """A function that calls `call` once and returns the seconds it took; with `write`, the
    array it returns is also written once (`fill(1)`) within the time. What it returns is
    dropped after the clock stops."""

    def once() -> float:
        start = time.perf_counter()
        result = call()
        if write:
            result.fill(1)
        seconds = time.perf_counter() - start
        del result
        return seconds

    return once


def faults_and_seconds(call: Callable[[], object]) -> Tuple[int, float]:
    """Minor page faults and seconds taken by one call; what it returns is dropped after."""
    faults = minor_faults()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    faults = minor_faults() - faults
    del result
    return faults, seconds


def fault_split(alloc: Alloc, calls: int) -> Tuple[float, float]:
    """Median minor faults per call taken by the allocation, and then by writing every
    element of the array once. Medians, so a stray fault (the interpreter's own) in one call
    does not move the figure."""
    in_alloc: List[int] = []
    in_write: List[int] = []
    for _ in range(calls):
        before = minor_faults()
        array = alloc()
        middle = minor_faults()
        array.fill(1)
        in_alloc.append(middle - before)
        in_write.append(minor_faults() - middle)
        del array
    return statistics.median(in_alloc), statistics.median(in_write)


def interleaved_medians(timers: Sequence[Callable[[], float]], rounds: int) -> List[float]:
    """Median of what each timer returns (seconds), the timers called alternately, in an order
    that flips every round, so that whatever slows the machine slows all of them."""
    samples: List[List[float]] = [[] for _ in timers]
    for i in range(rounds):
        order = range(len(timers)) if i % 2 == 0 else reversed(range(len(timers)))
        for which in order:
            samples[which].append(timers[which]())
    return [statistics.median(s) for s in samples]
