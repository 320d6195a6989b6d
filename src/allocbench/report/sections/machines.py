"""The machine facts recorded with the results (glibc, transparent huge pages, page size),
and how busy each machine was while asv measured (the results' load log)."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import Bench
from allocbench.load import IDLE_CORES
from allocbench.report.findings import Block, Name, Text, bullet, join
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


def busy(runs: Sequence[Run]) -> List[Block]:
    """How busy each machine was while asv measured, from the load log: other processes' CPU
    over the runs, and the runs measured beside more than `IDLE_CORES` of it (thread figures,
    on the wall clock, need idle cores; the others are on the CPU clock)."""
    found: List[Block] = []
    for name in sorted({r.machine for r in runs}):
        loaded = [r for r in runs if r.machine == name and r.load is not None]
        unknown = sum(1 for r in runs if r.machine == name and r.load is None)
        if not loaded:
            found.append(bullet(Name(name), ": how busy it was while measuring was not "
                                "recorded (no load log beside the results)."))  # fmt: skip
            continue
        others = sorted(r.load.other_cores for r in loaded if r.load.other_cores is not None)
        steal = max((r.load.steal or 0.0) for r in loaded)
        text = Text.of(
            Name(name), f" while measuring ({len(loaded)} runs"
            + (f"; {unknown} without a record" if unknown else "") + "): other processes used "
            + (f"{others[0]:.2f} to {others[-1]:.2f} cores" if others else "an unknown share")
            + (f", the hypervisor stole up to {steal:.0%} of the CPU" if steal >= 0.005 else "")
            + "."
        )  # fmt: skip
        heavy = [r for r in loaded if (r.load.other_cores or 0.0) > IDLE_CORES]
        if heavy:
            each = [Text.of(Name(r.label), " in ", Name(r.env), f" ({r.load.other_cores:.2f})")
                    for r in heavy]  # fmt: skip
            text = Text.of(text, f" Measured beside more than {IDLE_CORES} cores of other work: ",
                           join(each, "; "), ": where it held a core, their thread figures "
                           "are n/a.")  # fmt: skip
        found.append(bullet(text))
    return found
