"""The machine facts recorded with the results: glibc, transparent huge pages, page size."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import Bench
from allocbench.report.findings import Block, Name, bullet
from allocbench.report.runs import Run

THP_NAMES = {0: "never", 1: "madvise", 2: "always"}


def machines(runs: Sequence[Run]) -> List[Block]:
    """The machine facts recorded with the results."""
    found: List[Block] = []
    for name in sorted({r.machine for r in runs}):
        mine = [r for r in runs if r.machine == name]
        glibc = {r.get(Bench.GLIBC) for r in mine} - {None}
        thp = {r.get(Bench.THP) for r in mine} - {None}
        page = {r.get(Bench.PAGE) for r in mine} - {None}
        facts = [
            "glibc " + ", ".join(f"{v:.2f}" for v in sorted(glibc)) if glibc else "libc: n/a",
            "transparent huge pages " + ", ".join(THP_NAMES.get(int(v), "?") for v in thp)
            if thp
            else "transparent huge pages: n/a",
            ", ".join(f"{int(v)}-byte pages" for v in page) if page else "page size: n/a",
        ]
        found.append(bullet(Name(name), f": {'; '.join(facts)}."))
    return found
