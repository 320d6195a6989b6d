"""numba's np.zeros fixed (the run-time switch, the patched build) beside numba as released."""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench.catalog import HEADLINE_SIZE, Bench
from allocbench.report.findings import Block, Name, Text, bullet, paragraph
from allocbench.report.runs import FIXED, Run, headline, measured, variants
from allocbench.report.words import span, times


def switched(runs: Sequence[Run]) -> List[Block]:
    """numba's own np.zeros where it is fixed (the run-time switch, the patched build), beside
    the same machine, environment and release as it is: one sentence per fix, environment and
    machine, over the releases it ran."""
    groups: Dict[tuple, List[Tuple[Run, float, Optional[Run]]]] = defaultdict(list)
    plain_names: Dict[tuple, str] = {}
    own_names: Dict[tuple, str] = {}
    for run, variable, _, _, base in variants(runs, tuple(FIXED)):
        on = headline(run)
        if run.release is not None and on is not None:
            key = (variable, run.machine, run.setting)
            groups[key].append((run, on, base))
            own_names.setdefault(key, run.env)
            if base is not None:
                plain_names.setdefault(key, base.env)
    found: List[Block] = []
    for key, shown in groups.items():
        variable, machine, _ = key
        shown.sort(key=lambda m: m[0].release.key)
        first, last = shown[0][0].label, shown[-1][0].label
        which = (
            Text.of("numba ", Name(first))
            if len(shown) == 1
            else Text.of("numba ", Name(first), " to ", Name(last), f" ({len(shown)} releases)")
        )
        off = [q for q in (headline(base) for _, _, base in shown if base) if q]
        faults = measured([run for run, _, _ in shown], Bench.FAULTS_ALLOC, "numba.zeros",
                          HEADLINE_SIZE)  # fmt: skip
        stock = measured([base for _, _, base in shown if base], Bench.FAULTS_ALLOC,
                         "numba.zeros", HEADLINE_SIZE)  # fmt: skip
        count = "{:,.0f}".format
        found.append(bullet(
            which, f" {FIXED[variable]} (", Name(plain_names.get(key, own_names[key])), ", ",
            Name(machine), "): at 256 MiB np.zeros inside @njit takes "
            f"{span([on for _, on, _ in shown], times)} numpy's time"
            + (f", {span(off, times)} as released" if off else "")
            + (f"; page faults per call: {span(faults, count)}" if faults else "")
            + (f", instead of {span(stock, count)}" if stock else "")
            + "."))  # fmt: skip
    if not found:
        return [paragraph("Not measured in these results (the ALLOCBENCH_PATCH_NUMBA_ZEROS and "
                          "ALLOCBENCH_NUMBA_BUILD environments of asv.conf.json).")]  # fmt: skip
    return found
