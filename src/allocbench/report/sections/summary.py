"""In short: where the slowdown appears, where it starts, and whether a release changed it."""

from __future__ import annotations

import math
from typing import List, Optional, Sequence

from allocbench.catalog import MMAP_THRESHOLD_MAX, Bench, MiB, format_size
from allocbench.report.findings import Block, Code, Name, Text, bold, bullet, paragraph
from allocbench.report.runs import Run, by_series, headline, plain
from allocbench.report.words import nbytes, span, times

#: A ratio this large counts as "the slowdown".
SLOW = 10.0
#: Releases whose 256 MiB ratios stay within this factor of each other changed nothing.
SAME = 3.0


def grid_cliff(run: Run) -> Optional[int]:
    """Smallest size of the Alloc grid from which numba.zeros stays SLOW times numpy's."""
    sizes = run.values_of(Bench.ALLOC, "size")
    ratios = [(n, run.ratio(Bench.ALLOC, "numba.zeros", "numpy.zeros", n)) for n in sizes]
    ratios = [(n, q) for n, q in ratios if q is not None]
    cliff = None
    for size, ratio in reversed(ratios):
        if ratio < SLOW:
            break
        cliff = size
    return cliff


def _slowdown(labelled: Sequence[Run], ratios: list) -> Block:
    releases = sorted({r.release.key: r.label for r, _ in ratios}.items())
    low, high = min(q for _, q in ratios), max(q for _, q in ratios)
    slow = [r for r, q in ratios if q >= SLOW]
    where = "every" if len(slow) == len(ratios) else f"{len(slow)} of {len(ratios)}"
    return bullet(
        bold(f"The slowdown is there in {where} release and environment measured"),
        " (numba ", Name(releases[0][1]), " to ", Name(releases[-1][1]),
        f", {len(by_series(labelled))} machine/environment series): at 256 MiB, np.zeros "
        f"inside @njit takes {span([low, high], times)} numpy's time for allocation alone.",
    )  # fmt: skip


def _where_it_starts(labelled: Sequence[Run]) -> List[Block]:
    numba_from = [r.get(Bench.CLIFF_NUMBA) for r in labelled if r.get(Bench.CLIFF_NUMBA)]
    numpy_from = [r.get(Bench.CLIFF_NUMPY) for r in labelled if r.get(Bench.CLIFF_NUMPY)]
    if not (numba_from and numpy_from):
        return []
    above = int(max(numba_from + numpy_from)) - MMAP_THRESHOLD_MAX
    below = [r.get(Bench.CLIFF_RATIO, n) for r in labelled for n in (1 * MiB, 16 * MiB)]
    below = [q for q in below if q is not None]
    predicted = [
        (r.get(Bench.CLIFF_NUMBA), r.get(Bench.CLIFF_NUMBA_PREDICTED),
         r.get(Bench.CLIFF_NUMPY), r.get(Bench.CLIFF_NUMPY_PREDICTED))
        for r in labelled
    ]  # fmt: skip
    predicted = [row for row in predicted if None not in row]
    agree = sum(row[0] == row[1] and row[2] == row[3] for row in predicted)
    return [bullet(
        bold("Where it starts"),
        f": measured to the byte, each size in a fresh process, numba's np.zeros faults in "
        f"every page from {span(numba_from, nbytes)}, and numpy's np.zeros stays lazy from "
        f"{span(numpy_from, nbytes)}; glibc's largest mmap threshold is "
        f"{format_size(MMAP_THRESHOLD_MAX)} ({MMAP_THRESHOLD_MAX:,} bytes), "
        + (f"{above:,} bytes below the largest of these." if above >= 0
           else f"{-above:,} bytes above all of these.")
        + (f" glibc's rules (how malloc rounds a request into a chunk, the threshold it raises "
           f"when an mmap'd chunk is freed, and numba's runtime header on top of the array) "
           f"predict the same bytes in {agree} of {len(predicted)} runs." if predicted else "")
        + (f" Below it, at 1 MiB and 16 MiB, numba's np.zeros takes {span(below, times)} "
           f"numpy's time." if below else ""),
    )]  # fmt: skip


def _verdicts(labelled: Sequence[Run]) -> List[Block]:
    found = []
    for (machine, env), series in by_series(labelled).items():
        points = [(r.label, headline(r)) for r in series if headline(r) is not None]
        if len(points) < 2:
            continue
        values = [q for _, q in points]
        steps = [(a[0], b[0], b[1] / a[1]) for a, b in zip(points, points[1:])]
        big = max(steps, key=lambda s: abs(math.log(s[2])))
        verdict = (
            Text.of(f"no release changed it: {times(min(values))} to {times(max(values))} over ",
                    Name(points[0][0]), "-", Name(points[-1][0]))
            if max(values) / min(values) < SAME
            else Text.of("it changed: the largest step is ", Name(big[0]), " -> ", Name(big[1]),
                         f" (x{big[2]:.3g})")
        )  # fmt: skip
        found.append(bullet(Name(env), " on ", Name(machine), ": ", verdict, "."))
    return found


def summary(runs: Sequence[Run]) -> List[Block]:
    """Plain sentences about where the slowdown appears and whether a release changed it, of
    stock numba under glibc's defaults (the variants are reported on their own)."""
    labelled = plain(runs)
    ratios = [(r, headline(r)) for r in labelled]
    ratios = [(r, q) for r, q in ratios if q is not None]
    if not ratios:
        return [
            paragraph(
                "These results hold no numba.zeros / numpy.zeros figure at 256 MiB, so they cannot "
                "say where the slowdown appears. Run the history selection (",
                Code("allocbench history"),
                ") or ",
                Code("bench_alloc.Alloc"),
                ".",
            )
        ]
    found = [_slowdown(labelled, ratios), *_where_it_starts(labelled)]
    grid = [g for g in (grid_cliff(r) for r in labelled) if g]
    if grid:
        found.append(bullet(
            f"On the size grid (a fresh process per size), numba.zeros is {SLOW:g}x or more "
            f"slower than numpy.zeros from {span(grid, nbytes)} up."))  # fmt: skip
    return found + _verdicts(labelled)
