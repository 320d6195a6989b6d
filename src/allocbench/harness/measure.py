"""The measuring primitives every harness module shares: settle, count faults, interleave.

Page faults are exact counts (the kernel's, read with getrusage), so they do not move with
machine noise; times do, so two paths compared by time are called alternately in one process
and compared by their medians, on the thread's CPU clock (`cpu_seconds`): a neighbour that
takes the core away stretches wall time, not the CPU time the work itself took. A ratio is
taken over rounds until its spread is within a bound (`steady_ratio`); one that cannot get
there is too noisy to report (`TooNoisy`).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from allocbench.harness.probes import minor_faults

Alloc = Callable[[], np.ndarray]

#: The clock of every figure timed on one thread: that thread's CPU time, user and system
#: (page faults included). Unlike wall time it does not count the time a neighbour held the
#: core; the test in docs/noise.md compares both under a neighbour.
cpu_seconds = time.thread_time

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
    """A function that calls `call` `number` times in a row and returns the mean CPU seconds
    per call; with `write`, each array it returns is also written once (`fill(1)`) within the time.
    Each result is dropped before the next call, the last after the clock stops, so at most
    one array is alive at a time."""

    def sample() -> float:
        result = None
        start = cpu_seconds()
        for _ in range(number):
            result = None
            result = call()
            if write:
                result.fill(1)
        seconds = cpu_seconds() - start
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


#: A same-process ratio is reported once the 95% confidence interval of its median reaches
#: within this fraction of the median, either side (`spread`); it is taken over at least
#: `MIN_ROUNDS` rounds, and past those stops at `MAX_ROUNDS` or after `BUDGET_SECONDS` in all.
SPREAD_BOUND = 0.05
MIN_ROUNDS, MAX_ROUNDS = 5, 41
BUDGET_SECONDS = 3.0


class TooNoisy(NotImplementedError):
    """A figure whose rounds did not agree within the bound: in a benchmark's setup, asv shows
    it as n/a with this reason instead of a number that moves with the machine."""


def median_interval(values: Sequence[float]) -> Tuple[float, float]:
    """The distribution-free 95% confidence interval of the median of `values`: the order
    statistics n/2 -+ 0.98 sqrt(n) ranks from the middle (all of them below nine values)."""
    ordered = sorted(values)
    n = len(ordered)
    k = max(0, math.floor((n - 1.96 * math.sqrt(n)) / 2))
    return ordered[k], ordered[n - 1 - k]


def spread(values: Sequence[float]) -> float:
    """Half the width of `median_interval(values)`, as a fraction of their median."""
    low, high = median_interval(values)
    return (high - low) / 2 / statistics.median(values)


@dataclass(frozen=True)
class Rounds:
    """Two timers taken alternately: each one's median seconds, the median of the rounds'
    ratios of the first to the second, that median's `spread`, and how many rounds."""

    numerator_seconds: float
    denominator_seconds: float
    ratio: float
    spread: float
    rounds: int


def steady_ratio(
    numerator: Callable[[], float],
    denominator: Callable[[], float],
    what: str,
    bound: Optional[float] = None,
    min_rounds: int = MIN_ROUNDS,
    max_rounds: int = MAX_ROUNDS,
    budget_seconds: float = BUDGET_SECONDS,
) -> Rounds:
    """`paired_ratio`, round after round until the median ratio's `spread` is within `bound`
    (at least `min_rounds`; past those, at most `max_rounds` or `budget_seconds` of wall time in
    all); raises TooNoisy, naming `what` and the spread, where it never gets there. `bound`
    is SPREAD_BOUND where not given, read at the call."""
    bound = SPREAD_BOUND if bound is None else bound
    tops: List[float] = []
    bottoms: List[float] = []
    ratios: List[float] = []
    started = time.perf_counter()
    while True:
        if len(ratios) % 2 == 0:
            top, bottom = numerator(), denominator()
        else:
            bottom, top = denominator(), numerator()
        tops.append(top)
        bottoms.append(bottom)
        ratios.append(top / bottom)
        if len(ratios) < min_rounds:
            continue
        width = spread(ratios)
        if width <= bound:
            break
        if len(ratios) >= max_rounds or time.perf_counter() - started > budget_seconds:
            raise TooNoisy(f"too noisy here: {what} spread by +-{width:.2%} over {len(ratios)} "
                           f"rounds, beyond the +-{bound:.1%} a figure needs")  # fmt: skip
    return Rounds(statistics.median(tops), statistics.median(bottoms), statistics.median(ratios),
                  width, len(ratios))  # fmt: skip


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
