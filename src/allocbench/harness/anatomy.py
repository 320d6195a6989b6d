"""A per-call path split into its parts: calling, unboxing, boxing, allocating, filling.

A compiled path's time per call is the call from Python into @njit code, the unboxing of its
arguments, the allocation, the fill and the boxing of the array it returns. A release that
changes the whole says nothing of which part moved; these figures do. Each part is the
difference of two kernels that differ in that part alone, timed alternately in one process on
the thread's CPU clock (`measure.cpu_seconds`), each sample about `SAMPLE_SECONDS` of it:

- call: an @njit identity of an int, called from Python (ten calls to a turn of the Python
  loop, whose own cost is in the figure, spread over the ten);
- unbox: an @njit function taking a uint8 array of `nbytes` and returning its first element,
  minus call;
- box: an @njit function returning the array it was given, minus unbox's function;
- alloc: np.empty(nbytes) in the body of one @njit loop, per iteration, minus the same loop
  writing and reading an array made beforehand (`inloop.loop`, `inloop.control`);
- fill: np.zeros minus np.empty in that loop, per iteration.

Rounds go on until every kernel's median is steady (its `measure.spread` within
`measure.SPREAD_BOUND`); a part is the median over rounds of the difference taken within each
round, with that median's 95% interval. Nothing is clamped: a part that comes out negative is
reported so, and `Parts.negative` says where it is negative beyond its interval.

Each part proves its work first (`work_done`): the three called kernels must return what their
argument makes them return and make no array of their own (numba's runtime count, which counts
one wrapper per array argument unboxed); the loops must make an
array per iteration (`inloop.work_done`), and np.zeros's loop must fill the whole block in its
compiled code. Where a release elides the work, or the medians never settle, the part is n/a
with the reason.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numba
import numpy as np

from allocbench.catalog import ANATOMY_PARTS
from allocbench.harness import inloop, measure
from allocbench.harness.explain import _CALL, Call
from allocbench.harness.measure import TooNoisy, cpu_seconds
from allocbench.harness.nrt import allocations_counted, counted

#: The parts, in the order a call meets them.
PARTS = ANATOMY_PARTS
#: Each timed sample lasts at least this long (CPU seconds).
SAMPLE_SECONDS = 0.01
#: Python calls of a called kernel in one turn of the timing loop.
UNROLL = 10
#: The work checks call each called kernel this many times.
CHECK_CALLS = 100


@numba.njit(cache=True)
def _identity(x):
    """call: an int in, the same int out."""
    return x


@numba.njit(cache=True)
def _first(a):
    """unbox: an array in, its first element out."""
    return a[0]


@numba.njit(cache=True)
def _given(a):
    """box: an array in, the same array out."""
    return a


#: The kernels called from Python, by name; tests plant others here.
CALLED: Dict[str, Callable] = {"identity": _identity, "first": _first, "given": _given}

#: Each part as (kernel, kernel subtracted from it or None); the loops are inloop's paths and
#: its control.
TERMS: Dict[str, Tuple[str, Optional[str]]] = {
    "call": ("identity", None),
    "unbox": ("first", "identity"),
    "box": ("given", "first"),
    "alloc": ("numba.empty", "control"),
    "fill": ("numba.zeros", "numba.empty"),
}


def _array(nbytes: int) -> np.ndarray:
    return np.ones(nbytes, np.uint8)


def _arrays(func: Callable, argument: object) -> int:
    """The arrays numba's runtime counts over `CHECK_CALLS` calls of `func(argument)`."""
    with allocations_counted() as allocated:
        before = allocated()
        for _ in range(CHECK_CALLS):
            func(argument)
        return allocated() - before


def _is_int(found: object, value: int) -> bool:
    return isinstance(found, (int, np.integer)) and found == value


def _called_work(name: str, nbytes: int) -> Optional[str]:
    """None where the called kernel `name` returns what its argument makes it return and makes
    no array of its own, else why not. numba's runtime counts one for every array argument it
    unboxes (its wrapper of the caller's array, no data allocated): the kernel taking an array
    may count one per call, no more, and the kernel returning it as many as that one."""
    func, version = CALLED[name], f"numba {numba.__version__}"
    if name == "identity":
        if not (_is_int(func(7), 7) and _is_int(func(12345), 12345)):
            return f"{version}'s identity kernel does not return the int it is given"
        arrays = _arrays(func, 7)
        if arrays:
            return (f"{version} counts {counted(arrays, 'array')} in {CHECK_CALLS} calls of the "
                    f"identity of an int, which makes none")  # fmt: skip
        return None
    array = _array(nbytes)
    for value in (5, 9):
        array[0] = value
        if name == "first" and not _is_int(func(array), value):
            return f"{version}'s first-element kernel does not read the array given at {nbytes} B"
    if name == "given" and func(array) is not array:
        return (f"{version}'s kernel returning its argument does not give back the array it "
                f"was given at {nbytes} B")  # fmt: skip
    arrays, unboxed = _arrays(func, array), _arrays(CALLED["first"], array)
    if arrays > CHECK_CALLS or (name == "given" and arrays != unboxed):
        return (f"{version} counts {counted(arrays, 'array')} in {CHECK_CALLS} calls of the "
                f"{name} kernel at {nbytes} B, against {unboxed} for unboxing its argument "
                f"alone: it makes arrays of its own")  # fmt: skip
    return None


def whole_block_fills(allocate: Callable) -> int:
    """How many memsets of a run-time length the compiled code of the loop `allocate` (called
    as `(nbytes, count)`) makes, compiled afresh (a cached loop keeps no IR)."""
    fresh = numba.njit(getattr(allocate, "py_func", allocate))
    fresh(8, 1)
    ir = "\n".join(fresh.inspect_llvm().values())
    calls = (_CALL.search(line) for line in ir.splitlines() if not line.startswith("declare"))
    return sum(Call(m.group("name"), m.group("args"), "").fills_whole_block for m in calls if m)


def work_done(part: str, nbytes: int) -> Optional[str]:
    """None where the kernels of `part` at `nbytes` do the work the part names, else why not."""
    if part not in TERMS:
        raise KeyError(f"no part {part!r}; the parts are {', '.join(PARTS)}")
    if part in ("call", "unbox", "box"):
        return next(filter(None, (_called_work(n, nbytes) for n in TERMS[part] if n)), None)
    reason = inloop.work_done("numba.empty", nbytes)
    if reason or part == "alloc":
        return reason
    reason = inloop.work_done("numba.zeros", nbytes)
    if reason is None and not whole_block_fills(inloop.loop("numba.zeros")):
        reason = (f"numba {numba.__version__} fills no whole block in np.zeros's loop at "
                  f"{nbytes} B: the fill is elided")  # fmt: skip
    return reason


def _calls(func: Callable, argument: object, turns: int) -> Callable[[], float]:
    def sample() -> float:
        f, x = func, argument
        start = cpu_seconds()
        for _ in range(turns):
            f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x)  # UNROLL
        return (cpu_seconds() - start) / (UNROLL * turns)

    return sample


def _iterations(func: Callable, first: object, count: int) -> Callable[[], float]:
    def sample() -> float:
        start = cpu_seconds()
        func(first, count)
        return (cpu_seconds() - start) / count

    return sample


def _timer(name: str, nbytes: int) -> Callable[[], float]:
    """A timer of the kernel `name` at `nbytes`: seconds per call or per iteration, each sample
    about `SAMPLE_SECONDS` long."""
    if name in CALLED:
        func, argument = CALLED[name], (7 if name == "identity" else _array(nbytes))
        once = _calls(func, argument, 100)
        once()
        turns = max(1, math.ceil(SAMPLE_SECONDS / UNROLL / max(once(), 1e-10)))
        return _calls(func, argument, min(turns, 1_000_000))
    if name == "control":
        func, first = inloop.control(), np.zeros(nbytes, np.uint8)
    else:
        func, first = inloop.loop(name), nbytes
    once = _iterations(func, first, 64)
    once()
    count = max(64, min(10_000_000, math.ceil(SAMPLE_SECONDS / max(once(), 1e-10))))
    return _iterations(func, first, count)


@dataclass(frozen=True)
class Figure:
    """One part: CPU seconds per operation (the median of the rounds' differences), that
    median's 95% interval, and the rounds taken."""

    seconds: float
    low: float
    high: float
    rounds: int

    @property
    def negative(self) -> bool:
        """Below zero beyond its interval: the subtracted kernel costs more, honestly."""
        return self.high < 0


def _settled(samples: Dict[str, List[float]]) -> List[str]:
    return [n for n, s in samples.items() if measure.spread(s) > measure.SPREAD_BOUND]


def _rounds(
    timers: Dict[str, Callable[[], float]], budget_seconds: float
) -> Tuple[Dict[str, List[float]], List[str]]:
    """Every timer's samples, taken alternately in an order that flips every round, until every
    median is steady (at least measure.MIN_ROUNDS rounds; at most MAX_ROUNDS or the budget of
    wall time); and the timers whose medians did not settle."""
    samples: Dict[str, List[float]] = {n: [] for n in timers}
    started = time.perf_counter()
    order = list(timers)
    rounds = 0
    while True:
        for name in order:
            samples[name].append(timers[name]())
        order.reverse()
        rounds += 1
        if rounds < measure.MIN_ROUNDS:
            continue
        unsettled = _settled(samples)
        if not unsettled or rounds >= measure.MAX_ROUNDS:
            return samples, unsettled
        if time.perf_counter() - started > budget_seconds:
            return samples, unsettled


def _figure(part: str, samples: Dict[str, List[float]]) -> Figure:
    top, bottom = TERMS[part]
    values = samples[top]
    if bottom is not None:
        values = [t - b for t, b in zip(values, samples[bottom])]
    low, high = measure.median_interval(values)
    return Figure(statistics.median(values), low, high, len(values))


def _too_noisy(part: str, nbytes: int, samples: Dict[str, List[float]], names: List[str]) -> str:
    worst = max(names, key=lambda n: measure.spread(samples[n]))
    return (f"too noisy here: {part} at {nbytes:,} B, the {worst} kernel's median spread by "
            f"+-{measure.spread(samples[worst]):.1%} over {len(samples[worst])} rounds, beyond "
            f"the +-{measure.SPREAD_BOUND:.0%} a figure needs")  # fmt: skip


def measure_parts(
    wanted: Sequence[str], nbytes: int, budget_seconds: float = 2 * measure.BUDGET_SECONDS
) -> Dict[str, object]:
    """Each part of `wanted` at `nbytes`: a `Figure`, or the reason it is n/a (text). Their
    kernels are timed together, alternately, in this process."""
    results: Dict[str, object] = {}
    for part in wanted:
        reason = work_done(part, nbytes)
        if reason:
            results[part] = reason
    names = sorted({n for p in wanted if p not in results for n in TERMS[p] if n})
    if not names:
        return results
    timers = {n: _timer(n, nbytes) for n in names}
    samples, unsettled = _rounds(timers, budget_seconds)
    for part in wanted:
        if part in results:
            continue
        noisy = [n for n in TERMS[part] if n in unsettled]
        results[part] = (_too_noisy(part, nbytes, samples, noisy) if noisy
                         else _figure(part, samples))  # fmt: skip
    return results


def measure_part(part: str, nbytes: int) -> Figure:
    """One part at `nbytes`, its two kernels alone timed alternately; NotImplementedError where
    the work is elided, measure.TooNoisy where the medians never settle (n/a in asv's setup)."""
    found = measure_parts((part,), nbytes, measure.BUDGET_SECONDS)[part]
    if isinstance(found, Figure):
        return found
    raise (TooNoisy if str(found).startswith("too noisy") else NotImplementedError)(found)


def part_seconds(part: str, nbytes: int) -> float:
    """`measure_part`'s CPU seconds per operation."""
    return measure_part(part, nbytes).seconds


@dataclass(frozen=True)
class Parts:
    """Every part at `nbytes`, in CPU seconds per operation (None where n/a), each with its
    `Figure` or the reason it is n/a, all timed together in one process."""

    call: Optional[float]
    unbox: Optional[float]
    box: Optional[float]
    alloc: Optional[float]
    fill: Optional[float]
    nbytes: int
    figures: Tuple[Tuple[str, Figure], ...] = ()
    reasons: Tuple[Tuple[str, str], ...] = ()

    def figure(self, part: str) -> Optional[Figure]:
        """The part's figure with its interval; None where it is n/a."""
        return dict(self.figures).get(part)

    def reason(self, part: str) -> Optional[str]:
        """Why the part is n/a; None where it was measured."""
        return dict(self.reasons).get(part)

    def negative(self) -> List[str]:
        """The parts below zero beyond their intervals."""
        return [p for p, f in self.figures if f.negative]

    def as_dict(self) -> Dict[str, object]:
        """Plain values, for JSON: seconds, interval and rounds per part, or its reason."""
        return {
            "nbytes": self.nbytes,
            **{p: (vars(self.figure(p)) if self.figure(p) else {"na": self.reason(p)})
               for p in PARTS},
        }  # fmt: skip


def parts(nbytes: int) -> Parts:
    """Every part at `nbytes` (uint8 1-D arrays), all kernels timed alternately in this
    process; n/a parts are None in the fields, with their reasons."""
    found = measure_parts(PARTS, nbytes)
    figures = tuple((p, f) for p, f in found.items() if isinstance(f, Figure))
    reasons = tuple((p, str(f)) for p, f in found.items() if not isinstance(f, Figure))
    seconds = {p: f.seconds for p, f in figures}
    return Parts(**{p: seconds.get(p) for p in PARTS}, nbytes=nbytes, figures=figures,
                 reasons=reasons)  # fmt: skip


def describe(found: Parts) -> List[str]:
    """One line per part: nanoseconds with the interval, or n/a and why."""
    lines = []
    for part in PARTS:
        figure = found.figure(part)
        if figure is None:
            lines.append(f"{part:6} n/a: {found.reason(part)}")
            continue
        lines.append(f"{part:6} {figure.seconds * 1e9:9.1f} ns  [{figure.low * 1e9:.1f}, "
                     f"{figure.high * 1e9:.1f}] over {figure.rounds} rounds"
                     + ("  (negative beyond its interval)" if figure.negative else ""))  # fmt: skip
    return lines


if __name__ == "__main__":
    import json
    import sys

    for size in map(int, sys.argv[1:] or ["65536"]):
        result = parts(size)
        print(json.dumps({"numba": numba.__version__, **result.as_dict()}))
        print("\n".join(describe(result)), file=sys.stderr)
