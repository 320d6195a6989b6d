"""Confirm each candidate step in fresh processes of both releases, and keep the verdicts.

For each release pair with candidate figures (``candidates``), within a budget of pairs and
time: both releases installed side by side in the pair's asv environment
(``history.sidebyside``), `rounds` fresh processes of each, alternating, each measuring every
candidate figure of the pair (and, for bench_ratio and bench_inloop figures, the anatomy of a
call at their sizes, where ``allocbench.harness.anatomy`` exists); then per figure the exact
rank test and the Hodges-Lehmann change with its interval (``history.ranktest``). Verdict:
"confirmed" where p < 0.05, the interval excludes 1 and the change is beyond the figure's
threshold (check_config.WATCHED, as asv.conf.json applies it); "not confirmed (noise)"
otherwise; "n/a" with the reason where a figure is n/a in a process of either release. Kept in
confirmations.json (``history.confirmations``) with the values asv recorded, so that a
confirmation whose results changed since is made again.
"""

from __future__ import annotations

import datetime
import math
import pathlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from allocbench.catalog import Bench, size_bytes
from allocbench.history import confirmations as store
from allocbench.history import ranktest, sidebyside
from allocbench.history.check_config import regression_rules, treatment
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.environments import load_config
from allocbench.history.ledger import BRANCH
from allocbench.history.releases import Release
from allocbench.report.candidates import Figure, Pair, candidates
from allocbench.report.runs import collect
from allocbench.results import ResultsError, load

#: Fresh processes per release, by default: 5 against 5 reaches p = 2/252 at best.
ROUNDS = 5
#: Release pairs confirmed in one run, and the time after which no new pair starts.
MAX_PAIRS = 6
BUDGET_SECONDS = 1800.0
ALPHA = 0.05
#: A part of a call counts as moved beyond this change either way (10%).
PART_THRESHOLD = 0.1

CONFIRMED = "confirmed"
NOISE = "not confirmed (noise)"
NA = "n/a"


@dataclass
class Outcome:
    """What one run of confirmation did."""

    #: pair_key -> the stored entry, for the pairs measured now.
    measured: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    #: pair_key -> why it was not checked (budget, environment not here, patched build).
    not_checked: Dict[str, str] = field(default_factory=dict)
    #: pair_keys whose confirmation was current already.
    current: List[str] = field(default_factory=list)


def threshold_of(name: str) -> float:
    """The figure's regression threshold as the history's rules give it (WATCHED)."""
    first, thresholds = regression_rules()
    how = treatment(first, thresholds, f"{name}@{BRANCH}")
    return how[1] if how is not None else 0.05


def verdict(before: Sequence[float], after: Sequence[float], threshold: float) -> Dict[str, Any]:
    """The test of one figure's fresh-process values, and its verdict."""
    if min(len(before), len(after)) < 2:
        return {"verdict": NA, "reason": "fewer than 2 fresh processes measured it"}
    found = ranktest.compare(before, after, ALPHA)
    confirmed = (found.p < ALPHA and not found.low <= 1 <= found.high
                 and ranktest.beyond(found.estimate, threshold))  # fmt: skip
    result = dict(vars(found), verdict=CONFIRMED if confirmed else NOISE, threshold=threshold)
    if math.isinf(result["high"]):
        result["high"] = None
    return result


def _values(outputs: Sequence[dict], name: str) -> Tuple[List[float], List[str]]:
    figures = [o["figures"].get(name, {"na": "not measured"}) for o in outputs]
    return ([f["value"] for f in figures if "value" in f],
            [f["na"] for f in figures if "na" in f])  # fmt: skip


def judge(figure: Figure, outputs: Tuple[List[dict], List[dict]]) -> Dict[str, Any]:
    """One figure's verdict from the processes of both releases."""
    (before, na_before), (after, na_after) = (_values(o, figure.name) for o in outputs)
    recorded = [float(v) for v in figure.recorded]
    for release, reasons, total in ((figure.before, na_before, len(outputs[0])),
                                    (figure.after, na_after, len(outputs[1]))):  # fmt: skip
        if reasons:
            return {"verdict": NA, "recorded": recorded, "source": figure.source,
                    "reason": f"n/a in {len(reasons)} of {total} fresh processes of numba "
                              f"{release.numba}: {reasons[0]}"}  # fmt: skip
    result = verdict(before, after, threshold_of(figure.name))
    return dict(result, before=before, after=after, recorded=recorded, source=figure.source)


def anatomy_sizes(figures: Sequence[Figure]) -> List[int]:
    """The sizes of the path figures (bench_ratio) and of allocation inside a loop
    (bench_inloop) among `figures`, for the anatomy."""
    sizes = set()
    for f in figures:
        if f.name.startswith((Bench.OVER_CONTROL + "(", Bench.IN_LOOP + "(")):
            label = f.name.rsplit(",", 1)[-1].strip(" ')")
            sizes.add(size_bytes(label))
    return sorted(sizes)


#: The fresh processes of each release a part needs measured (positive, not n/a) for the
#: rank test to be able to confirm it: with 4 and 4 the smallest two-sided p is 2/70.
MIN_PART_PROCESSES = 4


def judge_anatomy(outputs: Tuple[List[dict], List[dict]], sizes: Sequence[int]) -> Dict[str, Any]:
    """Each part of a call at each size: the same test on its seconds, beyond
    PART_THRESHOLD, over the processes that measured it (at least MIN_PART_PROCESSES of each
    release; a part is an explanation, not a figure, so a process too busy for one part does
    not silence it). The part that moved most among those confirmed is what the report
    names."""
    found: Dict[str, Any] = {}
    if not sizes:
        return found
    missing = [o["anatomy"]["missing"] for o in (*outputs[0], *outputs[1])
               if "missing" in (o.get("anatomy") or {})]  # fmt: skip
    if missing:
        return {"missing": missing[0]}
    for nbytes in sizes:
        each: Dict[str, Any] = {}
        key = str(nbytes)
        rows = [[o["anatomy"].get(key, {}) for o in side] for side in outputs]
        parts = sorted({p for side in rows for row in side for p in row if p != "na"})
        for part in parts:
            sides = [[v for v in (r.get(part) for r in side) if isinstance(v, float) and v > 0]
                     for side in rows]  # fmt: skip
            if min(len(side) for side in sides) < MIN_PART_PROCESSES:
                each[part] = {"verdict": NA, "reason": (
                    f"measured in {len(sides[0])} and {len(sides[1])} of the fresh processes "
                    f"(n/a or not positive in the others); the test needs {MIN_PART_PROCESSES} "
                    "of each")}  # fmt: skip
                continue
            result = verdict(sides[0], sides[1], PART_THRESHOLD)
            each[part] = dict(result, before=sides[0], after=sides[1])
        found[key] = each
    return found


def confirm_pair(
    root: pathlib.Path, conf: dict, places: store.Places, pair: Pair, figures: Sequence[Figure],
    rounds: int, say: Callable[[str], None],
) -> Dict[str, Any]:  # fmt: skip
    """Measure one release pair's candidate figures; the entry stored for it."""
    machine, env_name, _, _ = pair
    where = sidebyside.setting(root, conf, env_name, places)
    before, after = figures[0].before, figures[0].after
    folders = (sidebyside.install(where, before), sidebyside.install(where, after))
    sizes = anatomy_sizes(figures)
    names = [f.name for f in figures]
    started = time.monotonic()
    outputs = sidebyside.alternate(where, folders, names, rounds, sizes, say)
    for side, release in zip(outputs, (before, after)):
        wrong = sidebyside.check_versions(side, release.numba)
        if wrong:
            raise sidebyside.SideBySideError(wrong)
    return {
        "machine": machine, "env": env_name, "before": before.numba, "after": after.numba,
        "rounds": rounds, "seconds": round(time.monotonic() - started, 1),
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "figures": {f.name: judge(f, outputs) for f in figures},
        "anatomy": judge_anatomy(outputs, sizes),
    }  # fmt: skip


def run(
    root: pathlib.Path,
    results_dir: pathlib.Path,
    table: Sequence[Release],
    machine: Optional[str] = None,
    rounds: int = ROUNDS,
    max_pairs: int = MAX_PAIRS,
    budget: float = BUDGET_SECONDS,
    say: Callable[[str], None] = print,
) -> Outcome:
    """Confirm the candidate steps of the results in `results_dir` (one machine's where
    `machine` is given), pairs already confirmed against the same results left as they are."""
    conf = load_config(root)
    places = store.Places(results_dir)
    by_commit = release_by_commit(table)
    runs = collect(load(results_dir, by_commit), table, machine, by_commit)
    if not runs:
        raise ResultsError(f"{results_dir}: every result in it failed or was skipped")
    found = candidates(results_dir, conf, runs, by_commit, machine)
    stored = store.read_confirmations(places)
    outcome = Outcome()
    started = time.monotonic()
    for pair, figures in found.items():
        key = store.pair_key(*pair)
        entry = stored.get(key)
        if entry and all(store.current(entry, f.name, f.recorded) for f in figures):
            outcome.current.append(key)
            continue
        if len(outcome.measured) >= max_pairs:
            outcome.not_checked[key] = f"over the cap of {max_pairs} release pairs a run"
            continue
        if time.monotonic() - started > budget:
            outcome.not_checked[key] = f"over the time budget of {budget:.0f} s"
            continue
        say(f"confirming numba {pair[2]} -> {pair[3]} in {pair[1]} ({len(figures)} figures, "
            f"{rounds} + {rounds} fresh processes)")  # fmt: skip
        try:
            entry = confirm_pair(root, conf, places, pair, figures, rounds, say)
        except sidebyside.SideBySideError as exc:
            outcome.not_checked[key] = str(exc)
            continue
        store.write_confirmation(places, key, entry)
        outcome.measured[key] = entry
    return outcome


def lines(outcome: Outcome) -> List[str]:
    """The outcome in words, one line a figure."""
    said = []
    for entry in outcome.measured.values():
        said.append(f"numba {entry['before']} -> {entry['after']} ({entry['env']}, "
                    f"{entry['machine']}; {entry['rounds']} + {entry['rounds']} fresh processes, "
                    f"{entry['seconds']:.0f} s):")  # fmt: skip
        for name, f in entry["figures"].items():
            if f["verdict"] == NA:
                said.append(f"  {name}: n/a ({f['reason']})")
                continue
            high = "inf" if f["high"] is None else f"{f['high']:.3g}"
            said.append(f"  {name}: {f['before_median']:.4g} -> {f['after_median']:.4g}, "
                        f"{f['estimate']:.3f}x [{f['low']:.3g}, {high}], p={f['p']:.4f} "
                        f"(asv recorded {f['recorded'][0]:.4g} -> {f['recorded'][1]:.4g}): "
                        f"{f['verdict']}")  # fmt: skip
    said += [f"{key}: already confirmed against these results" for key in outcome.current]
    said += [f"{key}: not checked: {why}" for key, why in outcome.not_checked.items()]
    return said or ["no candidate step in these results: nothing to confirm"]
