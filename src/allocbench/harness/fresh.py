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
from typing import Dict, List, Sequence

from allocbench.catalog import FRESH_SIZES, HEADLINE_PATHS
from allocbench.harness import isolated
from allocbench.harness.measure import faults_and_seconds, settle
from allocbench.harness.paths import PATHS, Alloc, shape_for
from allocbench.harness.probes import fits_in_memory

#: Fewer than elsewhere: what happens on the first calls is what this measures.
SETTLE_CALLS = 2
STEADY_CALLS = 3


def measure_first_and_steady(alloc: Alloc) -> Dict[str, float]:
    """Time the first call of `alloc` in this process, then the steady state after it settles."""
    first_faults, first_seconds = faults_and_seconds(alloc)
    settle(alloc, SETTLE_CALLS, write=False)
    steady = [faults_and_seconds(alloc) for _ in range(STEADY_CALLS)]
    return {
        "first_seconds": first_seconds,
        "first_faults": first_faults,
        "steady_seconds": statistics.median(s for _, s in steady),
        "steady_faults": statistics.median(f for f, _ in steady),
    }


def measure_one(path: str, nbytes: int) -> Dict[str, float]:
    """Bind `path` to `nbytes` of float64 and measure it; run in a fresh process."""
    return measure_first_and_steady(PATHS[path].bind(shape_for(nbytes)))


def measure_here(
    paths: Sequence[str], sizes: Sequence[int], repeats: int
) -> List[Dict[str, object]]:
    """Measure every (path, size) `repeats` times, each in a fresh child of this process.

    Sizes that do not fit in available memory are left out.
    """
    records: List[Dict[str, object]] = []
    for nbytes in sizes:
        if not fits_in_memory(nbytes, copies=2):
            continue
        for path in paths:
            PATHS[path].bind((1,))  # compiled here, so a forked child only allocates
            runs = [isolated.in_fresh_process(measure_one, path, nbytes) for _ in range(repeats)]
            record: Dict[str, object] = {"path": path, "nbytes": nbytes, "repeats": repeats}
            for key in runs[0]:
                record[key] = statistics.median(run[key] for run in runs)
            records.append(record)
    return records


def measure(
    paths: Sequence[str] = HEADLINE_PATHS,
    sizes: Sequence[int] = FRESH_SIZES,
    repeats: int = 3,
) -> List[Dict[str, object]]:
    """Run `measure_here` in a clean interpreter, so the caller's own heap cannot bias it."""
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        raise ValueError(f"unknown allocation path(s): {', '.join(unknown)}")
    return isolated.in_new_interpreter(measure_here, list(paths), list(sizes), repeats)


def format_table(records: Sequence[Dict[str, object]]) -> str:
    """The records as an aligned text table, times in microseconds."""
    from allocbench.catalog import format_size

    header = ("path", "size", "first us", "faults", "steady us", "faults")
    lines = ["{:<16} {:>9} {:>10} {:>7} {:>10} {:>7}".format(*header)]
    for r in records:
        lines.append(
            f"{r['path']:<16} {format_size(r['nbytes']):>9} "
            f"{r['first_seconds'] * 1e6:>10.1f} {r['first_faults']:>7.0f} "
            f"{r['steady_seconds'] * 1e6:>10.1f} {r['steady_faults']:>7.0f}"
        )
    return "\n".join(lines)
