"""First call in a fresh process against steady state, for allocation paths and sizes.

glibc's mmap threshold is dynamic: it starts at 128 KiB and rises to the size of each mmap'd
block that is freed, up to 32 MiB. So the first large allocation of a process can be served
differently from the hundredth. Each measurement here runs in a newly forked child of a clean
interpreter that has imported numpy and numba and compiled the path with a one-element array,
but allocated nothing large (on macOS, where forking is unsafe, a new interpreter; see
allocbench.harness.isolated): the first call is timed, then a few untimed calls settle the
allocator, then the steady-state calls are timed.

``allocbench fresh`` prints the figures.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, astuple, dataclass
from typing import List, Sequence

from allocbench.catalog import FRESH_SIZES, HEADLINE_PATHS, format_size
from allocbench.harness import isolated
from allocbench.harness.measure import faults_and_seconds, settle
from allocbench.harness.paths import PATHS, Alloc, shape_for
from allocbench.harness.probes import fits_in_memory

#: Fewer than elsewhere: what happens on the first calls is what this measures.
SETTLE_CALLS = 2
STEADY_CALLS = 3


@dataclass(frozen=True)
class FirstAndSteady:
    """The first call's seconds and minor page faults, and the median of the settled calls'."""

    first_seconds: float
    first_faults: float
    steady_seconds: float
    steady_faults: float


@dataclass(frozen=True)
class FreshRecord:
    """One path at one size: the medians of `repeats` fresh processes' `FirstAndSteady`."""

    path: str
    nbytes: int
    repeats: int
    first_seconds: float
    first_faults: float
    steady_seconds: float
    steady_faults: float


def measure_first_and_steady(alloc: Alloc) -> FirstAndSteady:
    """Time the first call of `alloc` in this process, then the steady state after it settles."""
    first_faults, first_seconds = faults_and_seconds(alloc)
    settle(alloc, SETTLE_CALLS, write=False)
    steady = [faults_and_seconds(alloc) for _ in range(STEADY_CALLS)]
    return FirstAndSteady(
        first_seconds=first_seconds,
        first_faults=first_faults,
        steady_seconds=statistics.median(s for _, s in steady),
        steady_faults=statistics.median(f for f, _ in steady),
    )


def measure_one(path: str, nbytes: int) -> FirstAndSteady:
    """Bind `path` to `nbytes` of float64 and measure it; run in a fresh process."""
    return measure_first_and_steady(PATHS[path].bind(shape_for(nbytes)))


def _medians(runs: Sequence[FirstAndSteady]) -> FirstAndSteady:
    columns = zip(*(astuple(run) for run in runs))
    return FirstAndSteady(*(statistics.median(column) for column in columns))


def measure_here(paths: Sequence[str], sizes: Sequence[int], repeats: int) -> List[FreshRecord]:
    """Measure every (path, size) `repeats` times, each in a fresh child of this process.

    Sizes that do not fit in available memory are left out.
    """
    records: List[FreshRecord] = []
    for nbytes in sizes:
        if not fits_in_memory(nbytes, copies=2):
            continue
        for path in paths:
            PATHS[path].bind((1,))  # compiled here, so a forked child only allocates
            runs = [isolated.in_fresh_process(measure_one, path, nbytes) for _ in range(repeats)]
            medians = asdict(_medians(runs))
            records.append(FreshRecord(path=path, nbytes=nbytes, repeats=repeats, **medians))
    return records


def measure(
    paths: Sequence[str] = HEADLINE_PATHS,
    sizes: Sequence[int] = FRESH_SIZES,
    repeats: int = 3,
) -> List[FreshRecord]:
    """Run `measure_here` in a clean interpreter, so the caller's own heap cannot bias it."""
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        raise ValueError(f"unknown allocation path(s): {', '.join(unknown)}")
    return isolated.in_new_interpreter(measure_here, list(paths), list(sizes), repeats)


def format_table(records: Sequence[FreshRecord]) -> str:
    """The records as an aligned text table, times in microseconds."""
    header = ("path", "size", "first us", "faults", "steady us", "faults")
    lines = ["{:<16} {:>9} {:>10} {:>7} {:>10} {:>7}".format(*header)]
    for r in records:
        lines.append(
            f"{r.path:<16} {format_size(r.nbytes):>9} "
            f"{r.first_seconds * 1e6:>10.1f} {r.first_faults:>7.0f} "
            f"{r.steady_seconds * 1e6:>10.1f} {r.steady_faults:>7.0f}"
        )
    return "\n".join(lines)
