"""The report's tables: the cliff of each series release by release, and the first call."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import Bench, MiB, format_size
from allocbench.report.findings import Block, Code, Name, Table, Text, paragraph
from allocbench.report.runs import Run
from allocbench.report.sections.summary import grid_cliff
from allocbench.report.words import nbytes, seconds, times

CLIFF_HEADER = ("release", "numpy np.zeros lazy from", "numba np.zeros faults every page from",
                "grid cliff", "ratio 1 MiB", "16 MiB", "64 MiB", "256 MiB")  # fmt: skip
FRESH_HEADER = ("environment", "release", "path", "size", "first call", "steady")


def cliff_table(series: Sequence[Run]) -> List[Block]:
    """The cliff of one machine and environment, release by release."""
    rows = []
    for run in series:
        ratios = [run.get(Bench.CLIFF_RATIO, n) for n in (1 * MiB, 16 * MiB, 64 * MiB, 256 * MiB)]
        cliff = grid_cliff(run)
        rows.append((Text.of(Name(run.label)), Text.of(nbytes(run.get(Bench.CLIFF_NUMPY))),
                     Text.of(nbytes(run.get(Bench.CLIFF_NUMBA))),
                     Text.of(format_size(cliff) if cliff else "n/a"),
                     *(Text.of(times(q)) for q in ratios)))  # fmt: skip
    return [Table(CLIFF_HEADER, tuple(rows))]


def fresh_table(runs: Sequence[Run]) -> List[Block]:
    """First call in a fresh process against the steady state, where measured."""
    rows = []
    for run in runs:
        names = run.param_names.get(Bench.FRESH_FIRST, ())
        for (benchmark, params), first in sorted(run.values.items(), key=str):
            if benchmark != Bench.FRESH_FIRST or not {"path", "size"} <= set(names):
                continue
            named = dict(zip(names, params))
            steady = run.get(Bench.FRESH_STEADY, *params)
            rows.append((Text.of(Name(run.env)), Text.of(Name(run.label)),
                         Text.of(Name(named["path"])), Text.of(format_size(named["size"])),
                         Text.of(seconds(first)), Text.of(seconds(steady))))  # fmt: skip
    if not rows:
        return [paragraph("Not measured in these results (", Code("asv run --bench bench_fresh"),
                          ").")]  # fmt: skip
    return [Table(FRESH_HEADER, tuple(rows))]
