"""One allocation path's time over another's, measured in one process, calls interleaved.

On a noisy machine two paths timed minutes apart can drift by tens of percent, more than
the differences that matter between near-equal paths. Here both are bound once, settled, and
then timed back to back, round after round, so whatever slows the machine slows both; the
median of the rounds' ratios is what is left.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Optional

from allocbench.harness import probes
from allocbench.harness.measure import (
    calls_per_sample,
    cpu_seconds,
    interleaved_medians,
    paired_ratio,
    settle,
    steady_ratio,
    timer,
)
from allocbench.harness.paths import PATHS

#: Each sample repeats the call until it lasts this long (seconds), so that sub-microsecond
#: calls are timed against a clock and a timer cost they dwarf.
SAMPLE_SECONDS = 0.005
#: Calls of each path before timing: glibc's dynamic mmap threshold moves after the first
#: free of a mapped block, and the second call sees where it settles.
WARM_CALLS = 2


@dataclass(frozen=True)
class Ratio:
    """Two paths timed alternately in one process: each one's median CPU seconds per call,
    the median of the rounds' ratios of the first to the second, and that median's spread
    (`measure.spread`; NaN where the rounds were fixed in advance)."""

    numerator_seconds: float
    denominator_seconds: float
    ratio: float
    spread: float = math.nan


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
    call, on this thread's CPU clock. With `write`, each call also writes every element.
    `rounds` fixes how many rounds; by default they go on until the median is steady
    (`measure.steady_ratio`), and a ratio that never gets there raises measure.TooNoisy,
    an n/a in a benchmark's setup. Without `huge_pages` the process gets
    no transparent huge pages meanwhile (numpy advises them for its large arrays, numba's
    runtime never does, and how many the kernel can supply changes from minute to minute)."""
    off = probes.huge_pages_off() if not huge_pages else contextlib.nullcontext()
    with off:
        allocs = [PATHS[p].bind((nbytes,), "uint8") for p in (numerator, denominator)]
        for alloc in allocs:
            settle(alloc, WARM_CALLS, write=write)
        plans = [calls_per_sample(a, write, SAMPLE_SECONDS) for a in allocs]
        timers = [timer(a, write, number) for a, (number, _) in zip(allocs, plans)]
        if rounds is not None:
            return Ratio(*paired_ratio(*timers, rounds))
        what = f"{numerator} over {denominator} at {nbytes:,} B"
        steady = steady_ratio(*timers, what=what)
        return Ratio(steady.numerator_seconds, steady.denominator_seconds, steady.ratio,
                     steady.spread)  # fmt: skip


#: The work check of a loop runs at this size at most: whether numba keeps an allocation in
#: the loop does not depend on the size, and a dozen 1 GiB arrays would take seconds.
CHECK_BYTES_MAX = 64 * 1024


def inside_njit_work_done(nbytes: int, fix: bool = True, write: bool = False) -> Optional[str]:
    """None where `inside_njit_ratio`'s loop allocates an array every iteration, else why not
    (numba's runtime allocation count, `inloop.work_done`, at `CHECK_BYTES_MAX` at most), for
    an n/a."""
    from allocbench.harness import inloop
    from allocbench.harness.kernels import kernel

    kind = ("allocbench" if fix else "numba") + "_zeros_loop" + ("_write" if write else "")
    loop = kernel(kind, "uint8", 1)
    name = ("allocbench.zeros" if fix else "numba.zeros") + " in inside_njit_ratio's loop"
    checked = min(nbytes, CHECK_BYTES_MAX)
    return inloop.work_done(name, checked, allocate=lambda n, count: loop((n,), count))


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
        start = cpu_seconds()
        loop(shape, calls)
        return (cpu_seconds() - start) / calls

    def python() -> float:
        start = cpu_seconds()
        for _ in range(calls):
            a = np.zeros(shape, np.uint8)
            if write:
                a.fill(1)
            a[-1]
        return (cpu_seconds() - start) / calls

    top, bottom = interleaved_medians([compiled, python], rounds)
    return Ratio(top, bottom, top / bottom)
