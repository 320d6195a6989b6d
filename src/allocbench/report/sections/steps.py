"""Release steps: the releases at which a compiled path's time over its numpy control moved."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

from allocbench.catalog import Bench, format_size
from allocbench.report.findings import Block, Name, Text, bold, bullet, join
from allocbench.report.runs import Run, by_series, plain
from allocbench.report.words import times

#: A tracked ratio that moves by more than this between releases, with every release after
#: beyond every release before, is a change (asv.conf.json flags bench_ratio at 20% too).
STEP = 1.2


def release_steps(runs: Sequence[Run]) -> List[Block]:
    """Releases at which a compiled path's time over its numpy control (bench_ratio, timed in
    one process) stepped, in a series of one machine and environment: the median of the
    releases after over the median of those before beyond STEP, and the two sets apart."""
    found: Dict[Tuple[str, str, str], List[Text]] = defaultdict(list)
    compared = 0  # series x figure measured over two releases or more
    for (machine, env), series in by_series(plain(runs)).items():
        keys = sorted({k for r in series for k in r.values if k[0] == Bench.OVER_CONTROL})
        for _, (path, size) in keys:
            points = [(r, r.get(Bench.OVER_CONTROL, path, size)) for r in series]
            points = [(r, v) for r, v in points if v is not None]
            compared += len(points) > 1
            best = None  # the split whose two sides lie furthest apart
            for k in range(1, len(points)):
                before, after = [v for _, v in points[:k]], [v for _, v in points[k:]]
                gap = max(min(after) / max(before), min(before) / max(after))
                change = statistics.median(after) / statistics.median(before)
                if gap > 1 and not 1 / STEP < change < STEP and (best is None or gap > best[0]):
                    best = (gap, k, change)
            if best is not None:
                where = (points[best[1]][0].label, env, machine)
                found[where].append(
                    Text.of(Name(path), f" at {format_size(int(size))} {times(best[2])}")
                )
    if not compared:
        return [bullet(bold("Release steps: not measured."),
                       " No series here has a compiled path's time over its numpy control "
                       "(bench_ratio, one process) for two releases or more, so nothing is said "
                       "of which release changed it.")]  # fmt: skip
    if not found:
        return [bullet(bold("No release changed"),
                       f" any compiled path's time over its numpy control by more than "
                       f"{times(STEP)} (bench_ratio, one process; {compared} figures of a series "
                       f"measured over two releases or more).")]  # fmt: skip
    return [
        bullet(bold("numba ", Name(label)), " (", Name(env), ", ", Name(machine),
               ") changed a compiled path's time over its numpy control (bench_ratio, one "
               "process; the releases after over those before, medians): ",
               join(changes, "; "), ".")
        for (label, env, machine), changes in found.items()
    ]  # fmt: skip
