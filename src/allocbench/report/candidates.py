"""The steps worth confirming: the regressions asv would publish, and the report's steps.

asv's own step detection (``asv.step_detect.detect_steps`` and ``detect_regressions``, as its
regressions page runs them), with asv.conf.json's regression rules read as asv reads them
(``check_config.treatment``), over every figure of the releases' branch in each machine and
environment; and the steps the report's steps section finds in bench_ratio
(``sections.steps.find_steps``). Each becomes a figure of a release pair: the release before
the step and the one after, adjacent among those measured.
"""

from __future__ import annotations

import itertools
import math
import pathlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from asv import results as asv_results
from asv.step_detect import detect_regressions, detect_steps

from allocbench.history import ledger
from allocbench.history.check_config import treatment
from allocbench.history.releases import Release
from allocbench.report.runs import Run, plain
from allocbench.report.verdicts import asv_name
from allocbench.results import model, rules


@dataclass(frozen=True)
class Figure:
    """One figure of a release pair that a step names."""

    machine: str
    env: str
    before: Release
    after: Release
    #: asv's name of the figure, parameters as asv writes them.
    name: str
    #: What asv recorded for it in each release.
    recorded: Tuple[float, float]
    #: "asv" (a regression asv would publish) or "report" (a step the report names).
    source: str


Series = Dict[Tuple[str, str, str], List[Tuple[Release, float]]]


def series(results_dir: pathlib.Path, by_commit: Dict[str, Release]) -> Series:
    """Every figure's values by (machine, environment, asv name), in release order; the
    releases' branch only (release candidates are not confirmed), n/a left out."""
    current = model.current_benchmarks(results_dir)
    found: Series = defaultdict(list)
    for path in model.results_files(results_dir):
        data = rules.read(path)
        release = by_commit.get(data["commit_hash"])
        if release is None or release.key.is_prerelease:
            continue
        columns = data["result_columns"]
        for benchmark, row in data["results"].items():
            entry = dict(zip(columns, row))
            info = (current or {}).get(benchmark)
            stale = not isinstance(info, dict) or info.get("version") != entry.get("version")
            if current is not None and stale:
                continue
            params = entry.get("params") or []
            values = asv_results._compatible_results(entry.get("result"), params, params)
            for combo, value in zip(itertools.product(*params), values):
                name = f"{benchmark}({', '.join(combo)})" if params else benchmark
                ok = isinstance(value, (int, float)) and not math.isnan(value)
                if ok:
                    key = (path.parent.name, data["env_name"], name)
                    found[key].append((release, float(value)))
    for points in found.values():
        points.sort(key=lambda p: p[0].key)
    return dict(found)


def asv_regressions(found: Series, conf: dict) -> List[Figure]:
    """The regressions asv would publish on the releases' branch, each as its release pair:
    the last release before the step and the first after it."""
    rules_ = (conf.get("regressions_first_commits") or {}, conf.get("regressions_thresholds") or {})
    flagged = []
    for (machine, env, name), points in sorted(found.items(), key=lambda kv: kv[0]):
        how = treatment(*rules_, f"{name}@{ledger.BRANCH}")
        if how is None or len(points) < 2:
            continue
        # Positions in `points` stand for asv's revisions: the steps' bounds index it.
        _, _, jumps = detect_regressions(detect_steps([v for _, v in points]), how[1])
        for before, after, _, _ in jumps or []:
            a, b = points[before], points[after]
            flagged.append(Figure(machine, env, a[0], b[0], name, (a[1], b[1]), "asv"))
    return flagged


def report_steps(runs: Sequence[Run]) -> List[Figure]:
    """The steps the report's steps section finds in bench_ratio, as release pairs."""
    from allocbench.report.sections.steps import find_steps

    return [
        Figure(s.machine, s.env, s.before.release, s.after.release, asv_name(s.benchmark, s.params),
               (s.before_value, s.after_value), "report")
        for s in find_steps(plain(runs))
    ]  # fmt: skip


Pair = Tuple[str, str, str, str]


def step_size(figure: Figure) -> float:
    """How far the figure moved between the two releases, either way: |log(after / before)|;
    0 where either value is not a positive number."""
    before, after = figure.recorded
    if not (before > 0 and after > 0 and math.isfinite(before) and math.isfinite(after)):
        return 0.0
    return abs(math.log(after / before))


def by_pair(figures: Sequence[Figure]) -> Dict[Pair, List[Figure]]:
    """The figures grouped by (machine, environment, release before, release after), each
    figure once (asv's first where both name it); the pairs whose largest step is largest
    first, so that a run's cap on the pairs it confirms leaves out the smallest steps."""
    grouped: Dict[Pair, Dict[str, Figure]] = {}
    for f in sorted(figures, key=lambda f: f.source != "asv"):
        key = (f.machine, f.env, f.before.numba, f.after.numba)
        grouped.setdefault(key, {}).setdefault(f.name, f)
    largest = {k: max(step_size(f) for f in v.values()) for k, v in grouped.items()}
    return {k: list(grouped[k].values()) for k in sorted(grouped, key=lambda k: -largest[k])}


def candidates(
    results_dir: pathlib.Path,
    conf: dict,
    runs: Sequence[Run],
    by_commit: Dict[str, Release],
    machine: Optional[str] = None,
) -> Dict[Pair, List[Figure]]:
    """Every candidate figure, by release pair (one machine's where `machine` is given)."""
    found = asv_regressions(series(results_dir, by_commit), conf) + report_steps(runs)
    return by_pair([f for f in found if machine is None or f.machine == machine])
