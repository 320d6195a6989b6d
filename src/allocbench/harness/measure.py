"""The measuring primitives every harness module shares: settle, count faults, interleave.

Page faults are exact counts (the kernel's, read with getrusage), so they do not move with
machine noise; times do, so two paths compared by time are called alternately in one process
and compared by their medians.
"""

from __future__ import annotations

import math
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


def timer(call: Callable[[], object], write: bool = False, number: int = 1) -> Callable[[], float]:
    """A function that calls `call` `number` times in a row and returns the mean seconds per
    call; with `write`, each array it returns is also written once (`fill(1)`) within the time.
    Each result is dropped before the next call, the last after the clock stops, so at most
    one array is alive at a time."""

    def sample() -> float:
        result = None
        start = time.perf_counter()
        for _ in range(number):
            result = None
            result = call()
            if write:
                result.fill(1)
        seconds = time.perf_counter() - start
        del result
        return seconds / number

    return sample


def calls_per_sample(call: Callable[[], object], write: bool, seconds: float) -> Tuple[int, float]:
    """How many calls of `call` in a row last at least `seconds` (the fastest of up to three
    single calls decides), so that one sample is long against the clock and the timer's own
    cost; and that call's seconds. A first call four times longer than `seconds` is one sample
    on its own, and is not repeated (as a 256 MiB array written page by page is: its time is
    bench_alloc.AllocAndWrite's at 256 MiB)."""
    single = timer(call, write)
    one = single()
    for _ in range(2):
        if one >= 4 * seconds:
            break
        one = min(one, single())
    return max(1, min(100_000, math.ceil(seconds / max(one, 1e-9)))), one


def paired_ratio(
    numerator: Callable[[], float], denominator: Callable[[], float], rounds: int
) -> Tuple[float, float, float]:
    """Median seconds of each timer and the median of their per-round ratios, the two timed
    back to back in every round in an order that flips each round. A ratio taken within one
    round sees the machine in one state, so slow drift cancels out of it."""
    tops: List[float] = []
    bottoms: List[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            tops.append(numerator())
            bottoms.append(denominator())
        else:
            bottoms.append(denominator())
            tops.append(numerator())
    ratios = [top / bottom for top, bottom in zip(tops, bottoms)]
    return statistics.median(tops), statistics.median(bottoms), statistics.median(ratios)


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
