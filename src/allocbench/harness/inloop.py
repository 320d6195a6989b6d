"""Allocation inside one compiled loop, without the @njit call boundary, over a control loop.

Every single-call path pays the call from Python into @njit code: at 8 B or 64 B that call is
most of the time, and a change in the allocation itself hides under it. Here each path
allocates `count` uint8 arrays of n bytes in one @njit loop, writes one element of each and
reads it back into a running sum that the loop returns (so the compiler cannot drop the work);
the control is the same loop writing and reading one element of an array made beforehand, no
allocation. The figure is the median over rounds of the loop's time over the control's, both
timed back to back in one process on the thread's CPU clock, until the median is steady
(`measure.steady_ratio`), so a neighbour on the machine moves neither.

Each figure proves its work first (`work_done`): numba's runtime must count `count` more
arrays for every call of the loop, as it does where the allocation stays in the loop body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import numba
import numpy as np

from allocbench.fix.njit import cached_njit
from allocbench.fix.zeros import zeros as calloc_zeros
from allocbench.harness.measure import cpu_seconds, paired_ratio, steady_ratio
from allocbench.harness.nrt import allocations_counted, counted

#: What each allocating loop allocates, by path: a constant of the compiled closure.
_WHICH = {"numba.empty": 0, "numba.zeros": 1, "allocbench.zeros": 2}
#: Each timed sample of the allocating loop lasts at least this long (seconds).
SAMPLE_SECONDS = 0.01
#: The work check calls a loop for this many arrays and for twice as many.
CHECK_COUNT = 4


def _allocating_loop(which: int) -> Callable:
    def allocate(nbytes, count):
        total = 0
        for i in range(count):
            if which == 0:
                a = np.empty((nbytes,), np.uint8)
            elif which == 1:
                a = np.zeros((nbytes,), np.uint8)
            else:
                a = calloc_zeros((nbytes,), np.uint8)
            j = i % nbytes
            a[j] = i & 0x7F
            total += a[j]
        return total

    return allocate


@numba.njit(cache=True)
def _control(buffer, count):
    """The allocating loops' write and read, into `buffer`: no allocation."""
    nbytes = buffer.shape[0]
    total = 0
    for i in range(count):
        j = i % nbytes
        buffer[j] = i & 0x7F
        total += buffer[j]
    return total


_compiled: Dict[str, Callable] = {}


def loop(path: str) -> Callable:
    """The compiled loop `(nbytes, count)` that allocates `count` uint8 arrays of `nbytes` by
    `path`, each in the loop body, and returns the sum of one element written in each."""
    if path not in _WHICH:
        raise KeyError(f"no in-loop allocation for {path!r}")
    if path not in _compiled:
        func = _allocating_loop(_WHICH[path])
        _compiled[path] = cached_njit(func, "inloop", path.replace(".", "_"))
        _compiled[path](8, 2)
    return _compiled[path]


def control() -> Callable:
    """The control loop `(buffer, count)`, compiled."""
    _control(np.zeros(8, np.uint8), 2)
    return _control


def work_done(path: str, nbytes: int, allocate: Optional[Callable] = None) -> Optional[str]:
    """None where the loop of `path` (or `allocate`, called as `(nbytes, count)`) allocates an
    array per iteration, else why not, for an n/a: numba's runtime must count at least `count`
    more arrays for a call of `count` iterations, for `CHECK_COUNT` and twice as many."""
    call = allocate if allocate is not None else loop(path)
    with allocations_counted() as allocated:
        call(nbytes, 1)
        for count in (CHECK_COUNT, 2 * CHECK_COUNT):
            before = allocated()
            call(nbytes, count)
            arrays = allocated() - before
            if arrays < count:
                return (f"numba {numba.__version__} hoists the allocation out of the loop, or "
                        f"drops it: {counted(arrays, 'allocation')} for {count} iterations of "
                        f"{path} at {nbytes} B")  # fmt: skip
    return None


@dataclass(frozen=True)
class InLoopRatio:
    """Seconds per iteration of the allocating loop and of the control, medians, and the
    median of the rounds' ratios of the first to the second."""

    loop_seconds: float
    control_seconds: float
    ratio: float
    count: int
    spread: float = math.nan


def _timer(call: Callable, first: object, count: int) -> Callable[[], float]:
    def sample() -> float:
        start = cpu_seconds()
        call(first, count)
        return (cpu_seconds() - start) / count

    return sample


def ratio(
    path: str, nbytes: int, rounds: Optional[int] = None, counting: bool = False
) -> InLoopRatio:
    """The loop of `path` at `nbytes` over the control, both with as many iterations as make
    one sample of the allocating loop last `SAMPLE_SECONDS`, timed back to back for `rounds`,
    or until the median is steady (measure.TooNoisy where it never is). With `counting`,
    numba's runtime counts every allocation and free meanwhile (its statistics), as every
    numba before 0.57 does always."""
    if counting:
        with allocations_counted():
            return ratio(path, nbytes, rounds)
    allocate, check = loop(path), control()
    buffer = np.zeros(nbytes, np.uint8)
    trial = 64
    allocate(nbytes, trial)
    start = cpu_seconds()
    allocate(nbytes, trial)
    one = (cpu_seconds() - start) / trial
    count = max(trial, min(1_000_000, math.ceil(SAMPLE_SECONDS / max(one, 1e-9))))
    top, bottom = _timer(allocate, nbytes, count), _timer(check, buffer, count)
    top(), bottom()
    if rounds is not None:
        return InLoopRatio(*paired_ratio(top, bottom, rounds), count=count)
    steady = steady_ratio(top, bottom, what=f"{path} in a loop at {nbytes:,} B")
    return InLoopRatio(steady.numerator_seconds, steady.denominator_seconds, steady.ratio, count,
                       steady.spread)  # fmt: skip
