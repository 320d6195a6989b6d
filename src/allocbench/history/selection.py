"""What the history measures: which releases, in which environments, which benchmarks.

The benchmark selection is built from the catalog's path groups and size grids, so it names
exactly the benchmarks that benchmarks/ defines for them.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from allocbench.catalog import (
    HEADLINE_PATHS,
    HISTORY_SIZES,
    SWITCHED_PATHS,
    USE_HISTORY_SIZES,
    WRITE_PATHS,
    size_labels,
)
from allocbench.history.environments import Environment
from allocbench.history.releases import Release, find

#: The seed's version, the first with Python 3.9 wheels, the first with Python 3.11 wheels; the
#: newest is added.
DEFAULT_RELEASES = ("0.48.0", "0.53.1", "0.57.1")
#: Environments that join the others' series (Python 3.10 runs the releases of the Python 3.8
#: series it can, and the first of the Python 3.11 series), which only `--all` or `--releases`
#: needs: the default releases share none with it.
BRIDGE_ENVS = ("virtualenv-py3.10-numpy1.22.4",)
#: How many releases of the next series a bridge runs after an older series ends.
JOIN_RELEASES = 2


def _alternatives(params: Sequence[object]) -> str:
    return "|".join(re.escape(repr(p)) for p in params)


def history_benchmarks() -> List[str]:
    """asv --bench regexes for the history: headline paths at the sizes around the cliff (their
    times, page faults and same-process ratios), the seed's own benchmarks, the cliff's
    bisection, the compiled code's calls, numba's np.zeros's scaling over threads, the import
    and first-call compile time of numba, and the machine facts."""
    paths, writers = _alternatives(HEADLINE_PATHS), _alternatives(WRITE_PATHS)
    sizes = _alternatives(size_labels(HISTORY_SIZES))
    return [
        rf"^bench_alloc\.Alloc\.time_alloc\(({paths}), ({sizes})\)$",
        rf"^bench_alloc\.AllocAndWrite\.time_alloc_and_write\(({writers}), "
        rf"({_alternatives(size_labels(USE_HISTORY_SIZES))})\)$",
        r"^bench_seed\.Seed(Question|Plot)\.",
        r"^bench_cliff\.",
        r"^bench_machine\.",
        r"^bench_explain\.",
        rf"^bench_memory\.PageFaults\.track_(faults|pages_faulted)_alloc\(({paths}), ({sizes})\)$",
        r"^bench_ratio\.",
        r"^bench_threads\.ThreadScaling\.\w+\('numba\.zeros', ",
        r"^bench_compile\.ImportTime\.timeraw_import_numba$",
        r"^bench_compile\.FirstCall\.\w+\('numba\.zeros'\)$",
    ]


def once_benchmarks() -> List[str]:
    """What the main job measures once, for the newest release in the newest plain
    environment: the fix against numpy's and numba's np.zeros, the seed's dense figure, numpy's
    huge-page advice on and off, resident memory, the first call in a fresh process, the
    seconds per array from 1, 2 and all cores and the other paths' scaling over them, numpy's
    import time and the fix's first call."""
    paths = _alternatives(HEADLINE_PATHS)
    return [
        r"^bench_fix\.Fix",
        r"^bench_seed\.SeedSweep\.",
        r"^bench_alloc\.HugePageAdvice\.",
        rf"^bench_memory\.ResidentMemory\.\w+\(({paths}), ",
        r"^bench_fresh\.",
        r"^bench_threads\.ThreadedAlloc\.",
        r"^bench_threads\.ThreadScaling\.\w+\('(?!numba\.zeros')",
        r"^bench_compile\.ImportTime\.timeraw_import_numpy$",
        r"^bench_compile\.FirstCall\.\w+\('(?!numba\.zeros')",
    ]


def once_environment(planned: Dict[Environment, List[Release]]) -> Optional[Environment]:
    """The environment that measures `once_benchmarks`: the last plain one (no tunables) that
    runs the newest release chosen."""
    newest = max((r for chosen in planned.values() for r in chosen), key=lambda r: r.key,
                 default=None)  # fmt: skip
    plain = [e for e, chosen in planned.items() if e.plain and newest in chosen]
    return plain[-1] if plain else None


def switch_benchmarks() -> List[str]:
    """For the environments with the run-time switch on or the patched numba: numba's np.zeros
    made lazy, measured as stock numba is (times, page faults, the compiled code's calls), and
    the same-process ratios of the paths it changes."""
    regexes = history_benchmarks()
    return [r for r in regexes if r.startswith((r"^bench_alloc", r"^bench_memory"))] + [
        rf"^bench_ratio\.OverControl\.\w+\(({_alternatives(SWITCHED_PATHS)}), ",
        r"^bench_explain\.",
        r"^bench_machine\.",
    ]


def newest_benchmarks(env: Environment, once: Optional[Environment]) -> List[str]:
    """What `env` measures for the newest release it runs only, beside `selection_for(env)`:
    `once_benchmarks` in the `once` environment; with the run-time switch or the patched numba,
    the fixed np.zeros against numpy's over the whole size grid (a minute per release)."""
    if env == once:
        return once_benchmarks()
    return [r"^bench_fix\.NumbaZerosOverNumpy\."] if (env.switch or env.build) else []


def allocator_benchmarks() -> List[str]:
    """For the environments under another malloc: allocation alone and with a write, the page
    faults, the cliff and the fix, on the history's grid."""
    regexes = history_benchmarks()
    kept = (r"^bench_alloc", r"^bench_memory", r"^bench_cliff", r"^bench_machine")
    return [r for r in regexes if r.startswith(kept)] + [r"^bench_fix\."]


def selection_for(env: Environment) -> List[str]:
    """The benchmark regexes the history runs in `env`."""
    if env.allocator:
        return allocator_benchmarks()
    if env.tunables:
        return tunables_benchmarks()
    return switch_benchmarks() if (env.switch or env.build) else history_benchmarks()


def tunables_benchmarks() -> List[str]:
    """The lighter selection for environments under glibc tunables: where the cliff moves to
    (the bisection) and allocation alone on the history grid."""
    return [history_benchmarks()[0], r"^bench_cliff\.", r"^bench_machine\."]


def plan(
    releases: Sequence[Release],
    envs: Sequence[Environment],
    quick_variants: bool = False,
    every: Optional[Sequence[Environment]] = None,
) -> Dict[Environment, List[Release]]:
    """For each environment, the chosen releases that can run in it; under glibc tunables or
    another malloc only the newest of them, since they change the allocator, not numba's code;
    with `quick_variants` (the default job) the same for the switch and the patched build. A
    bridge runs only where the series of the plain environments in `every` (by default `envs`)
    meet (`bridge_releases`), so that naming it alone plans what the whole job would."""

    def runnable(env: Environment) -> List[Release]:
        return [r for r in releases if env.supports(r)]

    runs = {env: runnable(env) for env in envs}
    newest_only = {
        env for env in envs if env.tunables or env.allocator or (quick_variants and not env.plain)
    }
    series = [runnable(env) for env in (envs if every is None else every)
              if env.plain and env.name not in BRIDGE_ENVS]  # fmt: skip
    return {
        env: chosen[-1:] if env in newest_only
        else bridge_releases(chosen, series) if env.name in BRIDGE_ENVS
        else chosen
        for env, chosen in runs.items()
    }  # fmt: skip


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
