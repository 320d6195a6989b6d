"""What the history measures: which releases, in which environments, which benchmarks.

Every benchmark is named by the catalog: its module (`catalog.Modules`), its class with its
parameters' names (`catalog.Classes`), its id (`catalog.Bench`), and the groups and grids its
parameters take. A `Pick` chooses some of them by those names, and `regex` writes it as the
regular expression that asv's ``--bench`` takes: asv matches it (``re.search``) against each
benchmark's name with its parameters, ``bench_alloc.Alloc.time_alloc('numba.zeros', '256
MiB')``, each parameter written as its repr. The bridge environments are found from the
environments' releases, not named.
"""

from __future__ import annotations

import itertools
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from allocbench.catalog import (
    EVERY_RELEASE_PATHS,
    HEADLINE_PATHS,
    HEADLINE_SIZE,
    HISTORY_SIZES,
    SWITCHED_PATHS,
    USE_HISTORY_SIZES,
    WRITE_PATHS,
    Bench,
    BenchClass,
    Classes,
    Modules,
    size_labels,
)
from allocbench.history.environments import Environment
from allocbench.history.releases import Release, find, load

#: The seed's version, the first with Python 3.9 wheels, the first with Python 3.11 wheels; the
#: newest is added.
DEFAULT_RELEASES = ("0.48.0", "0.53.1", "0.57.1")
#: How many releases of the next series a bridge runs after an older series ends.
JOIN_RELEASES = 2
#: How many releases the run-time switch and the patched build measure when more are chosen
#: (--all): spread evenly from the first each supports to the newest, so that their series
#: covers the releases while --all stays within 90 minutes (a patched release is a numba
#: build).
VARIANT_RELEASES = 4

#: Parameter values, as the benchmark's class takes them (asv writes each as its repr).
Values = Tuple[object, ...]
#: Parameter names, each with values.
Where = Tuple[Tuple[str, Values], ...]

#: One parameter as asv writes it in a benchmark's name: none of the suite's holds the comma
#: that separates them (tests/test_selection.py checks every one).
_VALUE = r"[^,]*"


class Pick(NamedTuple):
    """Benchmarks by the catalog's names: every benchmark of a module (`catalog.Modules`), of a
    class (`catalog.Classes`) or one benchmark id (`catalog.Bench`), but the ids in `but`, at the
    parameter values where each parameter named in `where` takes one of the values given and
    each named in `unless` none of them."""

    target: Union[str, BenchClass]
    where: Where = ()
    unless: Where = ()
    but: Tuple[str, ...] = ()

    @property
    def bench_class(self) -> Optional[BenchClass]:
        """The class of the benchmarks picked; None for a whole module."""
        if isinstance(self.target, BenchClass):
            return self.target
        if self.target in Bench.all():
            return Classes.of(self.target)
        if self.target in Modules.all():
            return None
        raise ValueError(f"{self.target!r} is no module, class or benchmark id of the catalog")

    @property
    def module(self) -> str:
        """The module of the benchmarks picked."""
        found = self.bench_class
        return found.module if found else str(self.target)

    @property
    def bench_id(self) -> Optional[str]:
        """The one benchmark id picked, if the target is one."""
        return self.target if isinstance(self.target, str) and self.bench_class else None


def pick(
    target: Union[str, BenchClass],
    unless: Optional[Dict[str, Sequence[object]]] = None,
    but: Sequence[str] = (),
    **where: Sequence[object],
) -> Pick:
    """A `Pick` of `target` where each parameter named takes one of the values given."""
    return Pick(target, _where(where), _where(unless or {}), tuple(but))


def _where(values: Dict[str, Sequence[object]]) -> Where:
    return tuple((name, tuple(v)) for name, v in values.items())


def _either(values: Sequence[str]) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


def regex(chosen: Pick, end: str = "$") -> str:
    """The regular expression asv matches `chosen` with: against each benchmark's name with its
    parameters (``--bench``, with ``re.search``), or against that name followed by
    ``@branch`` (asv.conf.json's regression rules, with ``re.match``; `end` ``(?:@|$)``)."""
    cls = chosen.bench_class
    if cls is None:
        if chosen.where or chosen.unless or chosen.but:
            raise ValueError(f"a whole module has no parameters to choose: {chosen}")
        return rf"^{re.escape(str(chosen.target))}\."
    where, unless = dict(chosen.where), dict(chosen.unless)
    unknown = (set(where) | set(unless)) - set(cls.param_names)
    if unknown or not all(where.values()) or not all(unless.values()):
        raise ValueError(f"{cls.id} has parameters {cls.param_names}: {chosen}")
    # What follows a benchmark id in a name: its parameters, or the name's end.
    after = r"\(" if cls.param_names else end
    if chosen.bench_id:
        if chosen.but:
            raise ValueError(f"one benchmark id has no others to leave out: {chosen}")
        head = re.escape(chosen.bench_id)
    else:
        head = re.escape(cls.id) + r"\."
        if chosen.but:
            methods = [b[len(cls.id) + 1 :] for b in chosen.but if Classes.of(b) == cls]
            if len(methods) != len(chosen.but):
                raise ValueError(f"leaves out benchmarks of another class: {chosen}")
            head += f"(?!{_either(methods)}{after})"
        if not (where or unless):
            return f"^{head}"
        head += r"\w+"
    if not (where or unless):
        return f"^{head}{after}"

    def value(name: str) -> str:
        if name in where:
            return _either([repr(v) for v in where[name]])
        if name in unless:
            return rf"(?!{_either([repr(v) for v in unless[name]])}(?:, |\)))" + _VALUE
        return _VALUE

    return rf"^{head}\(" + ", ".join(value(n) for n in cls.param_names) + rf"\){end}"


def regexes(picks: Sequence[Pick]) -> List[str]:
    """asv --bench regexes for `picks`, one each."""
    return [regex(p) for p in picks]


#: The headline paths allocating alone, under, around and far above the cliff.
ALLOC = pick(Bench.ALLOC, path=HEADLINE_PATHS, size=size_labels(HISTORY_SIZES))
#: Allocation and a write of every element, at the cliff and far above it.
WRITE = pick(Bench.WRITE, path=WRITE_PATHS, size=size_labels(USE_HISTORY_SIZES))
#: The share of pages faulted in, as ALLOC (what the history flags), and the page faults per
#: call at the headline size (what the report compares); the faults per call over the whole
#: grid are measured once (`FAULTS_BY_SIZE`), for the front page's plot.
FAULTS = (
    pick(Bench.FAULTS_ALLOC, path=HEADLINE_PATHS, size=size_labels((HEADLINE_SIZE,))),
    pick(Bench.PAGES_FAULTED, path=HEADLINE_PATHS, size=size_labels(HISTORY_SIZES)),
)
_BELOW_HEADLINE = tuple(n for n in HISTORY_SIZES if n != HEADLINE_SIZE)
FAULTS_BY_SIZE = pick(Bench.FAULTS_ALLOC, path=HEADLINE_PATHS, size=size_labels(_BELOW_HEADLINE))

#: Every release in the plain environments: the headline paths' times, page faults and
#: same-process ratios at the sizes around the cliff, the seed's own benchmarks, the cliff's
#: bisection, the compiled code's calls, numba's np.zeros's scaling over threads, allocation
#: inside one compiled loop over a loop without it, a per-call path's parts, the import
#: and first-call compile time of numba, and the machine facts.
HISTORY: Tuple[Pick, ...] = (
    ALLOC,
    WRITE,
    pick(Classes.SEED_QUESTION),
    pick(Classes.SEED_PLOT),
    pick(Modules.CLIFF),
    pick(Modules.MACHINE),
    pick(Modules.EXPLAIN),
    *FAULTS,
    pick(Modules.RATIO),
    pick(Classes.THREAD_SCALING, path=EVERY_RELEASE_PATHS),
    pick(Classes.IN_LOOP),
    pick(Classes.IN_LOOP_COUNTING),
    pick(Classes.ANATOMY),
    pick(Bench.IMPORT_NUMBA),
    pick(Classes.FIRST_CALL, path=EVERY_RELEASE_PATHS),
)

#: Once, for the newest release in the newest plain environment: the fix against numpy's and
#: numba's np.zeros, the seed's dense figure, numpy's huge-page advice on and off, resident
#: memory, the page faults per call over the size grid, the first call in a fresh process, the
#: seconds per array from 1, 2 and all cores and
#: the other paths' scaling over them, numpy's import time and the fix's first call.
ONCE: Tuple[Pick, ...] = (
    FAULTS_BY_SIZE,
    pick(Classes.FIX_AGAINST_NUMPY),
    pick(Classes.FIX_AGAINST_NUMBA),
    pick(Classes.FIX_INSIDE_NJIT),
    pick(Classes.SEED_SWEEP),
    pick(Classes.HUGE_PAGE_ADVICE),
    pick(Classes.RESIDENT_MEMORY, path=HEADLINE_PATHS),
    pick(Modules.FRESH),
    pick(Classes.THREADED_ALLOC),
    pick(Classes.THREAD_SCALING, unless={"path": EVERY_RELEASE_PATHS}),
    pick(Bench.IMPORT_NUMPY),
    pick(Classes.FIRST_CALL, unless={"path": EVERY_RELEASE_PATHS}),
)

#: With the run-time switch on or the patched numba: numba's np.zeros made lazy, measured as
#: stock numba is (times, page faults, the compiled code's calls), and the same-process ratios
#: of the paths it changes.
SWITCHED: Tuple[Pick, ...] = (
    ALLOC,
    WRITE,
    *FAULTS,
    pick(Classes.OVER_CONTROL, path=SWITCHED_PATHS),
    pick(Modules.EXPLAIN),
    pick(Modules.MACHINE),
)

#: With the run-time switch on or the patched numba, for the newest release only: the fixed
#: np.zeros against numpy's over the whole size grid (a minute per release).
FIXED_NEWEST: Tuple[Pick, ...] = (pick(Classes.NUMBA_ZEROS_OVER_NUMPY),)

#: Under another malloc: allocation alone and with a write, the page faults, the cliff and the
#: fix, on the history's grid.
UNDER_ALLOCATOR: Tuple[Pick, ...] = (
    ALLOC,
    WRITE,
    pick(Modules.CLIFF),
    pick(Modules.MACHINE),
    *FAULTS,
    pick(Modules.FIX),
)

#: Under glibc tunables, the lighter selection: where the cliff moves to (the bisection) and
#: allocation alone on the history grid.
UNDER_TUNABLES: Tuple[Pick, ...] = (ALLOC, pick(Modules.CLIFF), pick(Modules.MACHINE))

#: Every selection above, by name.
SELECTIONS: Dict[str, Tuple[Pick, ...]] = {
    "history": HISTORY,
    "once": ONCE,
    "switched": SWITCHED,
    "fixed-newest": FIXED_NEWEST,
    "under-allocator": UNDER_ALLOCATOR,
    "under-tunables": UNDER_TUNABLES,
}


def once_environment(planned: Dict[Environment, List[Release]]) -> Optional[Environment]:
    """The environment that measures `ONCE`: the last plain one (no tunables) that runs the
    newest release chosen."""
    newest = max((r for chosen in planned.values() for r in chosen), key=lambda r: r.key,
                 default=None)  # fmt: skip
    plain = [e for e, chosen in planned.items() if e.plain and newest in chosen]
    return plain[-1] if plain else None


def picks_for(env: Environment) -> Tuple[Pick, ...]:
    """What the history measures in `env` for every release it runs."""
    if env.allocator:
        return UNDER_ALLOCATOR
    if env.tunables:
        return UNDER_TUNABLES
    return SWITCHED if (env.switch or env.build) else HISTORY


def selection_for(env: Environment) -> List[str]:
    """The benchmark regexes the history runs in `env`."""
    return regexes(picks_for(env))


def newest_picks(env: Environment, once: Optional[Environment]) -> Tuple[Pick, ...]:
    """What `env` measures for the newest release it runs only, beside `picks_for(env)`: `ONCE`
    in the `once` environment; with the run-time switch or the patched numba, `FIXED_NEWEST`."""
    if env == once:
        return ONCE
    return FIXED_NEWEST if (env.switch or env.build) else ()


def newest_benchmarks(env: Environment, once: Optional[Environment]) -> List[str]:
    """The regexes of `newest_picks(env, once)`."""
    return regexes(newest_picks(env, once))


def bridges(envs: Sequence[Environment], table: Sequence[Release]) -> List[Environment]:
    """The plain environments of `envs` that join others' series: each shares releases of the
    table with two plain environments that share none with each other (Python 3.10's, between
    Python 3.8's, which ends at numba 0.56.4, and Python 3.11's, which starts at 0.57.0)."""
    plain = [e for e in envs if e.plain]
    runs = {e: {r.numba for r in table if e.supports(r)} for e in plain}
    found = []
    for env in plain:
        met = [other for other in plain if other != env and runs[other] & runs[env]]
        if any(not runs[a] & runs[b] for a, b in itertools.combinations(met, 2)):
            found.append(env)
    return found


def plan(
    releases: Sequence[Release],
    envs: Sequence[Environment],
    quick_variants: bool = False,
    every: Optional[Sequence[Environment]] = None,
    table: Optional[Sequence[Release]] = None,
) -> Dict[Environment, List[Release]]:
    """For each environment, the chosen releases that can run in it; under glibc tunables or
    another malloc only the newest of them, since they change the allocator, not numba's code;
    with `quick_variants` (the default job) the same for the switch and the patched build,
    and otherwise `VARIANT_RELEASES` of them spread evenly (`spread`). A
    bridge among the environments `every` (by default `envs`; `bridges`, over the release
    `table`, by default the package's) runs only where the series of the other plain ones meet
    (`bridge_releases`), so that naming it alone plans what the whole job would."""

    def runnable(env: Environment) -> List[Release]:
        return [r for r in releases if env.supports(r)]

    runs = {env: runnable(env) for env in envs}
    newest_only = {
        env for env in envs if env.tunables or env.allocator or (quick_variants and not env.plain)
    }
    sparse = {env for env in envs if not env.plain and env not in newest_only}
    everywhere = list(envs if every is None else every)
    joining = bridges(everywhere, load() if table is None else table)
    series = [runnable(env) for env in everywhere if env.plain and env not in joining]
    return {
        env: chosen[-1:] if env in newest_only
        else spread(chosen, VARIANT_RELEASES) if env in sparse
        else bridge_releases(chosen, series) if env in joining
        else chosen
        for env, chosen in runs.items()
    }  # fmt: skip


def spread(chosen: Sequence[Release], count: int) -> List[Release]:
    """`count` of the `chosen` releases (all where there are no more), evenly spaced from the
    first to the last, both included."""
    if len(chosen) <= count:
        return list(chosen)
    if count == 1:
        return list(chosen[-1:])
    return [chosen[round(i * (len(chosen) - 1) / (count - 1))] for i in range(count)]


def bridge_releases(
    runnable: Sequence[Release], series: Sequence[Sequence[Release]]
) -> List[Release]:
    """Of the releases a bridge can run, those where the other `series` meet: the releases of
    each series that ends before the bridge's newest, the first JOIN_RELEASES after its end, and
    the newest. All of them where no series ends within the bridge's range."""
    if not runnable:
        return []
    ended = [chosen for chosen in series if chosen and chosen[-1].key < runnable[-1].key]
    if not ended:
        return list(runnable)
    keep = {runnable[-1].numba}
    for chosen in ended:
        after = [r for r in runnable if r.key > chosen[-1].key][:JOIN_RELEASES]
        keep.update(r.numba for r in [*chosen, *after])
    return [r for r in runnable if r.numba in keep]


def choose(table: Sequence[Release], versions: Optional[Sequence[str]]) -> List[Release]:
    """The releases named (checked against the table), or the default set plus the newest."""
    if versions is None:
        versions = [*list(DEFAULT_RELEASES), table[-1].numba]
    chosen = {find(table, v).numba for v in versions}
    return [r for r in table if r.numba in chosen]
