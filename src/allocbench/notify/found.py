"""The confirmed regressions the results hold now, by figure and release step.

A regression is a figure that a confirmation (``allocbench confirm``, kept by
``history.confirmations``) says rose from one release to the next: verdict "confirmed" and a
change above 1 (asv reads a higher value as worse). A confirmation counts only while it is
current: the values asv recorded for both releases, which it keeps, are still the results'
(``confirmations.current``). Each regression names every machine and environment where it was
confirmed, with the link to that graph on the published site (asv's URL, as its regressions
feed writes it: the benchmark, its parameters, the environment and the two commits).
"""

from __future__ import annotations

import itertools
import pathlib
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from allocbench.history import confirmations as store
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.releases import Release
from allocbench.report.candidates import series
from allocbench.results import ResultsError, model, rules

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Where:
    """One machine and environment where a step was confirmed, and its test."""

    machine: str
    env: str
    #: The verdict as confirm keeps it: estimate, low, high (None: unbounded), p, medians.
    figure: Mapping[str, Any]
    rounds: int
    #: The graph on the site, relative to its root ("index.html#...").
    graph: str
    #: Where allocbench bisect traced the step: the first new commit, with its pull request
    #: where its merge names one; None where it was not bisected.
    traced: Optional[Mapping[str, Any]] = None


@dataclass(frozen=True)
class Regression:
    """One figure's confirmed rise from numba `before` to numba `after`."""

    name: str
    before: str
    after: str
    where: Tuple[Where, ...]

    @property
    def key(self) -> str:
        """The figure and the step: what one issue stands for."""
        return f"{self.name}|{self.before}|{self.after}"


def env_params(results_dir: pathlib.Path, machine: str, env: str, commit: str) -> Dict[str, str]:
    """asv's graph parameters of one environment (machine, python, the requirements and
    env-NAME), read from its results file of `commit`; {} where there is none."""
    path = results_dir / machine / rules.result_filename(commit, env)
    try:
        data = rules.read(path)
    except ResultsError:
        return {}
    params = data.get("params") or {}
    keep = {"machine", "python", *(data.get("requirements") or {})}
    return {str(k): str(v) for k, v in sorted(params.items())
            if k in keep or str(k).startswith("env-")}  # fmt: skip


def graph_link(
    benchmarks: Mapping[str, Any], name: str, where: Mapping[str, str], commits: Sequence[str]
) -> str:
    """asv's link to figure `name`'s graph in one environment (`where`: env_params), the step
    between `commits` marked."""
    head, _, rest = name.partition("(")
    query: Dict[str, str] = {}
    info = benchmarks.get(head)
    if rest and isinstance(info, dict):
        inside = rest[:-1]
        for combo in itertools.product(*(info.get("params") or [])):
            if ", ".join(combo) == inside:
                query.update(zip((f"p-{n}" for n in info.get("param_names") or []), combo))
                break
    query.update(where)
    query["commits"] = "-".join(commits)
    return f"index.html#{head}?{urllib.parse.urlencode(query)}"


def _rose(figure: object) -> bool:
    if not isinstance(figure, dict) or figure.get("verdict") != CONFIRMED:
        return False
    estimate = figure.get("estimate")
    return isinstance(estimate, (int, float)) and estimate > 1


def confirmed(
    results_dir: pathlib.Path, table: Sequence[Release], entries: Optional[Mapping] = None
) -> List[Regression]:
    """The confirmed regressions of the results in `results_dir`, oldest step first
    (`entries`: the confirmations, read beside the results where not given). ResultsError
    where there are no results: without them nothing can be said confirmed."""
    if entries is None:
        entries = store.read_confirmations(store.Places(results_dir))
    bisections = store.read_bisections(store.Places(results_dir))
    by_commit = release_by_commit(table)
    commit_of = {release.numba: commit for commit, release in by_commit.items()}
    order = {release.numba: i for i, release in enumerate(table)}
    values = series(results_dir, by_commit)
    benchmarks = model.current_benchmarks(results_dir) or {}
    found: Dict[Tuple[str, str, str], List[Where]] = defaultdict(list)
    for entry in entries.values():
        machine, env = str(entry.get("machine")), str(entry.get("env"))
        before, after = str(entry.get("before")), str(entry.get("after"))
        if before not in commit_of or after not in commit_of:
            continue
        commits = (commit_of[before], commit_of[after])
        for name, figure in (entry.get("figures") or {}).items():
            points = {r.numba: v for r, v in values.get((machine, env, name), [])}
            if not _rose(figure) or not store.current(
                entry, name, [points.get(before), points.get(after)]
            ):
                continue
            where = env_params(results_dir, machine, env, commits[1])
            link = graph_link(benchmarks, name, where, commits)
            bisection = bisections.get(store.bisection_key(machine, env, before, after, name))
            traced = bisection.get("first_new") if isinstance(bisection, dict) else None
            traced = traced if isinstance(traced, dict) else None
            rounds = int(entry.get("rounds") or 0)
            found[(name, before, after)].append(Where(machine, env, figure, rounds, link, traced))
    return [
        Regression(name, before, after, tuple(sorted(places, key=lambda w: (w.machine, w.env))))
        for (name, before, after), places in sorted(
            found.items(), key=lambda item: (order[item[0][2]], order[item[0][1]], item[0][0])
        )
    ]
