"""The mechanism: the cliff under glibc tunables beside the same runs without them."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import TUNABLES_VARIABLE, Bench, MiB
from allocbench.report.findings import Block, Code, Name, Table, Text, bullet, paragraph
from allocbench.report.runs import Run, variants
from allocbench.report.words import nbytes, times

HEADER = (TUNABLES_VARIABLE, "release", "numba faults every page from", "numpy lazy from",
          "ratio 1 MiB", "16 MiB")  # fmt: skip


def tunables(runs: Sequence[Run]) -> List[Block]:
    """The cliff under glibc tunables beside the same machine, environment and release
    without them: the test of the mechanism."""
    rows, found, shown = [], [], set()
    for run, _, base_env, setting, base in variants(runs, (TUNABLES_VARIABLE,)):
        for label, r in (("none", base), (setting, run)):
            if r is None or id(r) in shown:
                continue
            shown.add(id(r))
            rows.append((Text.of(Name(label)), Text.of(Name(run.label)),
                         Text.of(nbytes(r.get(Bench.CLIFF_NUMBA))),
                         Text.of(nbytes(r.get(Bench.CLIFF_NUMPY))),
                         Text.of(times(r.get(Bench.CLIFF_RATIO, 1 * MiB))),
                         Text.of(times(r.get(Bench.CLIFF_RATIO, 16 * MiB)))))  # fmt: skip
        moved, before = run.get(Bench.CLIFF_NUMBA), base.get(Bench.CLIFF_NUMBA) if base else None
        if moved and before:
            found.append(bullet(
                "With ", Code(f"{TUNABLES_VARIABLE}={setting}"), " (", Name(base_env),
                ", numba ", Name(run.label), ", ", Name(run.machine),
                f"), numba's np.zeros faults in every page from {nbytes(moved)} instead of "
                f"{nbytes(before)}, and at 16 MiB takes "
                f"{times(run.get(Bench.CLIFF_RATIO, 16 * MiB))} numpy's time instead of "
                f"{times(base.get(Bench.CLIFF_RATIO, 16 * MiB))}."))  # fmt: skip
    if not rows:
        return [paragraph("Not measured in these results (the GLIBC_TUNABLES environments of "
                          "asv.conf.json).")]  # fmt: skip
    return [*found, Table(HEADER, tuple(rows))]
