"""The floor: how far each flagged timed figure moves by itself, over fresh processes.

One release in one asv environment (by default the newest measured), measured `processes`
times in fresh processes by the same runner as confirmation (``history.sidebyside``); each
figure's median, range and relative spread (max / min - 1) are kept in floor.json beside the
results (``history.confirmations``). The report and the front page state, per family (a
benchmark and its path), the widest spread as the smallest change the run could detect, and
name no step within it.
"""

from __future__ import annotations

import datetime
import pathlib
import statistics
import time
from typing import Any, Callable, Dict, Optional, Sequence

from allocbench.history import confirmations as store
from allocbench.history import sidebyside
from allocbench.history.check_config import treatment
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.environments import load_config
from allocbench.history.ledger import BRANCH
from allocbench.history.releases import Release
from allocbench.report.candidates import series
from allocbench.results import ResultsError

#: The flagged figures that are timed (the counts and the cliff's bytes do not spread).
TIMED = ("bench_ratio.", "bench_inloop.", "bench_threads.ThreadScaling.")
PROCESSES = 5


def flagged_timed(names: Sequence[str], conf: dict) -> list:
    """The names among `names` that asv.conf.json's rules flag and that are timed."""
    rules = (conf.get("regressions_first_commits") or {}, conf.get("regressions_thresholds") or {})
    return [n for n in names if n.startswith(TIMED)
            and treatment(*rules, f"{n}@{BRANCH}") is not None]  # fmt: skip


def spread_of(values: Sequence[float]) -> Dict[str, Any]:
    """Median, range and relative spread (max / min - 1) of one figure's values."""
    return {"values": list(values), "median": statistics.median(values), "min": min(values),
            "max": max(values), "spread": max(values) / min(values) - 1}  # fmt: skip


def run(
    root: pathlib.Path,
    results_dir: pathlib.Path,
    table: Sequence[Release],
    machine: Optional[str] = None,
    env: Optional[str] = None,
    processes: int = PROCESSES,
    say: Callable[[str], None] = print,
) -> Dict[str, Any]:
    """Measure the floor of one machine and environment; the entry stored."""
    conf = load_config(root)
    found = series(results_dir, release_by_commit(table))
    found = {k: v for k, v in found.items()
             if (machine is None or k[0] == machine) and (env is None or k[1] == env)
             and flagged_timed([k[2]], conf)}  # fmt: skip
    if not found:
        where = f" in {env}" if env else ""
        raise ResultsError(f"{results_dir}: no flagged timed figure measured{where}; run "
                           "allocbench history first")  # fmt: skip
    # The newest release measured, in the environment that measured it (a variant's name is
    # the plain one's and more: the shortest first).
    newest = max(((p[-1][0].key, k[0], k[1]) for k, p in found.items()),
                 key=lambda t: (t[0], -len(t[2])))  # fmt: skip
    _, machine, env = newest
    release = next(p[-1][0] for k, p in found.items() if k[:2] == (machine, env)
                   and p[-1][0].key == newest[0])  # fmt: skip
    names = sorted(k[2] for k, p in found.items() if k[:2] == (machine, env)
                   and any(r.numba == release.numba for r, _ in p))  # fmt: skip
    places = store.Places(results_dir)
    where = sidebyside.setting(root, conf, env, places)
    folder = sidebyside.install(where, release)
    say(f"the floor: {len(names)} figures, {processes} fresh processes of numba "
        f"{release.numba} in {env}")  # fmt: skip
    started = time.monotonic()
    outputs = []
    for k in range(processes):
        say(f"  process {k + 1}/{processes}")
        outputs.append(sidebyside.measure_once(where, folder, names))
    figures: Dict[str, Any] = {}
    for name in names:
        each = [o["figures"].get(name, {"na": "not measured"}) for o in outputs]
        reasons = [f["na"] for f in each if "na" in f]
        figures[name] = ({"na": f"n/a in {len(reasons)} of {processes}: {reasons[0]}"}
                         if reasons else spread_of([f["value"] for f in each]))  # fmt: skip
    entry = {"machine": machine, "env": env, "numba": release.numba, "processes": processes,
             "seconds": round(time.monotonic() - started, 1),
             "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "figures": figures}  # fmt: skip
    store.write_floor(places, store.series_key(machine, env), entry)
    return entry


def lines(entry: Dict[str, Any]) -> list:
    """The floor in words, one line a figure."""
    said = [f"numba {entry['numba']} ({entry['env']}, {entry['machine']}), {entry['processes']} "
            f"fresh processes, {entry['seconds']:.0f} s:"]  # fmt: skip
    for name, f in entry["figures"].items():
        if "na" in f:
            said.append(f"  {name}: {f['na']}")
        else:
            said.append(f"  {name}: median {f['median']:.4g}, {f['min']:.4g}-{f['max']:.4g}, "
                        f"spread {f['spread']:.1%}")  # fmt: skip
    return said
