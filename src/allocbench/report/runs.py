"""The results as runs: every figure of one machine, environment and numba release.

Each commit is named by its numba release through the ledger's commit ids, computed from the
release table (``allocbench.history.commit_ids``). What an environment varies (glibc tunables,
the run-time switch, the patched build, another malloc) is read from the environment
variables asv recorded with its results, never from its name.
"""

from __future__ import annotations

import pathlib
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from asv.environment import get_env_name

from allocbench.catalog import (
    ALLOCATORS,
    BUILD_VARIABLE,
    HEADLINE_SIZE,
    PRELOAD_VARIABLE,
    SWITCH_VARIABLE,
    TUNABLES_VARIABLE,
    Bench,
)
from allocbench.files import FileError
from allocbench.history import load_log
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.releases import Release
from allocbench.load import Load
from allocbench.results import Record, ResultsError

#: The environments where numba's np.zeros is fixed, by their variable, and how the report
#: names each.
FIXED = {
    SWITCH_VARIABLE: "with the run-time switch",
    BUILD_VARIABLE: "with the patched numba build",
}
#: Every variable an environment variant sets (history.environments.Environment).
VARIANT_VARIABLES = (TUNABLES_VARIABLE, SWITCH_VARIABLE, BUILD_VARIABLE, PRELOAD_VARIABLE)


@dataclass
class Run:
    """Every figure of one machine, environment and commit."""

    machine: str
    env: str
    commit: str
    release: Optional[Release]
    python: str = ""
    requirements: Mapping[str, str] = field(default_factory=dict)
    env_vars: Mapping[str, str] = field(default_factory=dict)
    values: Dict[Tuple[str, Tuple[object, ...]], float] = field(default_factory=dict)
    #: Each benchmark's parameter names, where benchmarks.json gives them.
    param_names: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    #: How busy the machine was while asv measured this run, where the load log says.
    load: Optional[Load] = None

    @property
    def label(self) -> str:
        return self.release.numba if self.release else self.commit[:8]

    @property
    def setting(self) -> Tuple[str, Tuple[Tuple[str, str], ...]]:
        """The Python and requirements the environment installs, whatever variables it sets."""
        return self.python, tuple(sorted(self.requirements.items()))

    def get(self, benchmark: str, *params: object) -> Optional[float]:
        return self.values.get((benchmark, tuple(params)))

    def ratio(self, benchmark: str, slow: str, fast: str, nbytes: int) -> Optional[float]:
        top, bottom = self.get(benchmark, slow, nbytes), self.get(benchmark, fast, nbytes)
        return top / bottom if top and bottom else None

    def points(self, benchmark: str, over: str, **fixed: object) -> List[Tuple[object, float]]:
        """(the parameter `over`, value) of `benchmark` whose other parameters named in `fixed`
        have those values, sorted; none where the parameters' names are not known."""
        names = self.param_names.get(benchmark, ())
        if over not in names:
            return []
        found = []
        for (name, params), value in self.values.items():
            if name != benchmark:
                continue
            named = dict(zip(names, params))
            if all(named.get(k) == v for k, v in fixed.items()):
                found.append((named[over], value))
        return sorted(found)

    def values_of(self, benchmark: str, name: str) -> List[object]:
        """The values of the parameter `name` that `benchmark` was measured at, sorted."""
        return sorted({p for p, _ in self.points(benchmark, name)})


def environment_label(run: Run) -> str:
    """The environment's name without asv's tool: its Python, requirements and variables, by
    asv's own naming rule."""
    tagged = {("nobuild", k): v for k, v in run.env_vars.items()}
    return get_env_name(None, run.python, dict(run.requirements), tagged)


def is_plain(run: Run) -> bool:
    """A run of a numba release as it is, under glibc's malloc with its defaults."""
    return run.release is not None and not any(v in run.env_vars for v in VARIANT_VARIABLES)


class Variant(NamedTuple):
    """A run of an environment variant, beside the plain run it varies."""

    run: Run
    #: The variable its environment sets (TUNABLES_VARIABLE, SWITCH_VARIABLE, ...).
    variable: str
    #: The plain environment's name (the run's own where there is no plain run), and the
    #: variable's value.
    base_env: str
    setting: str
    #: The plain run of the same machine, Python, requirements and commit, if there is one.
    base: Optional[Run]


def variants(runs: Sequence[Run], variables: Sequence[str]) -> List[Variant]:
    """The runs whose environment sets one of `variables`, each with its plain run."""
    plain = {(r.machine, r.setting, r.commit): r for r in runs if is_plain(r)}
    found = []
    for run in runs:
        variable = next((v for v in variables if v in run.env_vars), None)
        if variable is not None:
            base = plain.get((run.machine, run.setting, run.commit))
            base_env = base.env if base is not None else run.env
            found.append(Variant(run, variable, base_env, run.env_vars[variable], base))
    return found


def allocator_of(run: Run) -> Optional[str]:
    """The name of the allocator preloaded in `run`'s environment, or None."""
    library = run.env_vars.get(PRELOAD_VARIABLE)
    return next((a.name for a in ALLOCATORS.values() if library == a.soname), None)


def collect(
    records: Sequence[Record],
    table: Sequence[Release],
    machine: Optional[str] = None,
    by_commit: Optional[Dict[str, Release]] = None,
) -> List[Run]:
    """Runs in release order (unknown commits last), for one machine or all; `by_commit` is
    commits.release_by_commit(table), where the caller has it already."""
    machines = sorted({r.machine for r in records})
    if machine is not None and machine not in machines:
        raise ResultsError(f"no results from machine {machine!r}; there are: {', '.join(machines)}")
    if by_commit is None:
        by_commit = release_by_commit(table)
    runs: Dict[Tuple[str, str, str], Run] = {}
    for r in records:
        if r.value is None or (machine is not None and r.machine != machine):
            continue
        key = (r.machine, r.env, r.commit)
        if key not in runs:
            release = r.release if r.release is not None else by_commit.get(r.commit)
            runs[key] = Run(r.machine, r.env, r.commit, release, r.python, r.requirements,
                            r.env_vars)  # fmt: skip
        runs[key].values[(r.benchmark, r.params)] = r.value
        if r.param_names:
            runs[key].param_names[r.benchmark] = r.param_names
    order = {c: i for i, c in enumerate(by_commit)}
    return sorted(runs.values(), key=lambda u: (u.machine, u.env, order.get(u.commit, 1e9)))


def attach_loads(runs: Sequence[Run], results_dir: pathlib.Path) -> None:
    """Give each run the machine's load while asv measured it, from the results' load log; a
    log that cannot be read is said in one line and leaves the runs without."""
    try:
        loads = load_log.by_run(load_log.read(results_dir))
    except FileError as exc:
        print(f"allocbench: {exc}; the machine's load is left out", file=sys.stderr)
        return
    for run in runs:
        run.load = loads.get((run.machine, run.env, run.commit))


def by_series(runs: Sequence[Run]) -> Dict[Tuple[str, str], List[Run]]:
    """The runs grouped by (machine, environment), in their order."""
    grouped: Dict[Tuple[str, str], List[Run]] = defaultdict(list)
    for run in runs:
        grouped[(run.machine, run.env)].append(run)
    return dict(grouped)


def newest_with(runs: Sequence[Run], benchmark: str) -> Optional[Run]:
    """The run of the newest release (plain environment first) that measured `benchmark`."""
    having = [r for r in runs if r.release and any(b == benchmark for b, _ in r.values)]
    if not having:
        return None
    return max(having, key=lambda r: (is_plain(r), r.release.key, r.env))


def headline(run: Run) -> Optional[float]:
    """numba.zeros / numpy.zeros at 256 MiB, allocation alone: from the grid, else the cliff's
    same-process ratio."""
    measured = run.ratio(Bench.ALLOC, "numba.zeros", "numpy.zeros", HEADLINE_SIZE)
    return measured if measured is not None else run.get(Bench.CLIFF_RATIO, HEADLINE_SIZE)


def plain(runs: Sequence[Run]) -> List[Run]:
    """The runs of numba releases as they are, under glibc's malloc with its defaults."""
    return [r for r in runs if is_plain(r)]


def measured(runs: Sequence[Run], benchmark: str, *params: object) -> List[float]:
    """The values of `benchmark` at `params` in `runs`, where measured."""
    return [v for v in (r.get(benchmark, *params) for r in runs) if v is not None]
