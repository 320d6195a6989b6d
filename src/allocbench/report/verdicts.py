"""What the report and the site know of confirmations, the floor and bisections, read once.

All are read through their owner (``history.confirmations``); a damaged file is said in one
line on standard error and counts as none, so the report goes on and says "not checked".
"""

from __future__ import annotations

import math
import pathlib
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from allocbench.catalog import format_size
from allocbench.history import confirmations as store

#: How the report names each part of a call (allocbench.harness.anatomy.PARTS).
PART_WORDS = {
    "call": "calling an @njit function",
    "unbox": "unboxing its arguments",
    "box": "boxing the returned array",
    "alloc": "the allocation",
    "fill": "the fill",
}


@dataclass(frozen=True)
class Checks:
    """Every confirmation and floor beside one results directory."""

    confirmations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    floor: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The steps asv flagged and the published list left out (report.regressions), where a
    #: site was published; None for the report.
    unconfirmed: Optional[Sequence[Mapping[str, Any]]] = None
    #: Every bisection (allocbench bisect), by history.confirmations.bisection_key.
    bisections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def figure(
        self, machine: str, env: str, before: str, after: str, name: str,
        recorded: Sequence[Optional[float]],
    ) -> Optional[Dict[str, Any]]:  # fmt: skip
        """The current confirmation of figure `name` between two releases, or None."""
        key = store.pair_key(machine, env, before, after)
        return store.figure_of(self.confirmations, key, name, recorded)

    def bisection(
        self, machine: str, env: str, before: str, after: str, name: str
    ) -> Optional[Mapping[str, Any]]:
        """The bisection of figure `name` between two releases that named one commit, or
        None (none made, or it ended at several)."""
        found = self.bisections.get(store.bisection_key(machine, env, before, after, name))
        return found if found and found.get("found") else None

    def floor_of(self, machine: str, env: str, family: str) -> Optional[Tuple[float, Mapping]]:
        """The widest relative spread (max / min - 1) of a figure of `family` (a benchmark
        and its path, as `family_of` names it) in this machine and environment's floor run,
        and that run; None where no floor was measured for it."""
        run = self.floor.get(store.series_key(machine, env))
        if not run:
            return None
        spreads = [f["spread"] for n, f in (run.get("figures") or {}).items()
                   if isinstance(f, dict) and "spread" in f and family_of(n) == family]  # fmt: skip
        return (max(spreads), run) if spreads else None


def asv_name(benchmark: str, params: Sequence[object]) -> str:
    """asv's name of a figure whose parameters were read typed (sizes as bytes) by
    results.model, for the benchmarks whose parameters are a path and a size label."""
    shown = [repr(format_size(p)) if isinstance(p, int) else repr(p) for p in params]
    return f"{benchmark}({', '.join(shown)})" if shown else benchmark


def family_of(name: str) -> str:
    """A figure's family: its benchmark and first parameter (the path), e.g.
    "bench_ratio.OverControl.track_over_control('numba.zeros'"."""
    head, _, rest = name.partition("(")
    return f"{head}({rest.split(',')[0].rstrip(')')}" if rest else head


def load(results_dir: pathlib.Path, html_dir: Optional[pathlib.Path] = None) -> Checks:
    """The confirmations and the floor beside `results_dir` (a damaged one said and left
    out), and with `html_dir` the regressions its published list left out."""
    places = store.Places(pathlib.Path(results_dir))
    found: List[Mapping] = []
    for read in (store.read_confirmations, store.read_floor, store.read_bisections):
        try:
            found.append(read(places))
        except store.StoreError as exc:
            print(f"allocbench: {exc}; treated as none", file=sys.stderr)
            found.append({})
    unconfirmed = None
    if html_dir is not None:
        from allocbench.report.regressions import read_unconfirmed

        unconfirmed = read_unconfirmed(html_dir)
    return Checks(found[0], found[1], unconfirmed, found[2])


def below_floor(change: float, spread: float) -> bool:
    """Whether a change (a ratio) is within a family's spread (max / min - 1) either way."""
    return abs(math.log(change)) <= math.log1p(spread)


def what_moved(entry: Mapping[str, Any], nbytes: int) -> Optional[Dict[str, Any]]:
    """The part of a call with the largest confirmed change at `nbytes` in a confirmation
    (`entry`: the pair's), with its name; None where no part moved or none was measured."""
    parts = (entry.get("anatomy") or {}).get(str(nbytes)) or {}
    moved = [dict(v, part=p) for p, v in parts.items()
             if isinstance(v, dict) and v.get("verdict") == "confirmed"]  # fmt: skip
    if not moved:
        return None
    return max(moved, key=lambda v: abs(math.log(v["estimate"])))
