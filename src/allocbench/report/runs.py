"""The results as runs: every figure of one machine, environment and numba release.

Each commit is named by its numba release through a ledger built afresh from the release
table (its hashes are the same on every machine).
"""

from __future__ import annotations

import pathlib
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from allocbench import files
from allocbench.catalog import (
    ALLOCATORS,
    BUILD_VARIABLE,
    HEADLINE_SIZE,
    PRELOAD_VARIABLE,
    SWITCH_VARIABLE,
    Bench,
)
from allocbench.history import ledger
from allocbench.history.releases import Release
from allocbench.results import Record, ResultsError

#: What the environments under glibc tunables, with the run-time switch on, and with the
#: patched numba build have in their names.
TUNED = "-GLIBC_TUNABLES"
SWITCHED = "-" + SWITCH_VARIABLE
PATCHED = "-" + BUILD_VARIABLE
#: The environments where numba's np.zeros is fixed, and how the report names each.
FIXED = {SWITCHED: "with the run-time switch", PATCHED: "with the patched numba build"}
#: What the environments under another malloc have in their names, before the library's.
PRELOADED = "-" + PRELOAD_VARIABLE


def is_plain(run: Run) -> bool:
    """A run of a numba release as it is, under glibc's malloc with its defaults."""
    return run.release is not None and not any(m in run.env for m in (TUNED, PRELOADED, *FIXED))


class Variant(NamedTuple):
    """A run of an environment variant, beside the plain run it varies."""

    run: Run
    #: The marker its environment's name carries (TUNED, SWITCHED, PATCHED, PRELOADED).
    marker: str
    #: The plain environment's name, and what follows the marker.
    base_env: str
    setting: str
    #: The plain run of the same machine, environment and commit, if there is one.
    base: Optional[Run]


def variants(runs: Sequence[Run], markers: Sequence[str]) -> List[Variant]:
    """The runs whose environment carries one of `markers`, each with its plain run."""
    plain = {(r.machine, r.env, r.commit): r for r in runs if is_plain(r)}
    found = []
    for run in runs:
        marker = next((m for m in markers if m in run.env), None)
        if marker is not None:
            base_env, setting = run.env.split(marker, 1)
            base = plain.get((run.machine, base_env, run.commit))
            found.append(Variant(run, marker, base_env, setting, base))
    return found


def allocator_of(run: Run) -> Optional[str]:
    """The name of the allocator preloaded in `run`'s environment, or None."""
    if PRELOADED not in run.env:
        return None
    library = run.env.split(PRELOADED, 1)[1]
    return next((a.name for a in ALLOCATORS.values() if library.startswith(a.soname)), None)


@dataclass
class Run:
    """Every figure of one machine, environment and commit."""

    machine: str
    env: str
    commit: str
    release: Optional[Release]
    values: Dict[Tuple[str, Tuple[object, ...]], float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.release.numba if self.release else self.commit[:8]

    def get(self, benchmark: str, *params: object) -> Optional[float]:
        return self.values.get((benchmark, tuple(params)))

    def ratio(self, benchmark: str, slow: str, fast: str, nbytes: int) -> Optional[float]:
        top, bottom = self.get(benchmark, slow, nbytes), self.get(benchmark, fast, nbytes)
        return top / bottom if top and bottom else None


def release_by_commit(table: Sequence[Release]) -> Dict[str, Release]:
    """Commit hash -> release, from a ledger built afresh (its hashes are the same anywhere) in
    a temporary folder; FileError naming it where it cannot be written (a full disk)."""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hashes = ledger.build(table, pathlib.Path(tmp) / "ledger")
    except OSError as exc:
        raise files.write_error(exc.filename or tempfile.gettempdir(), exc) from None
    return dict(zip(hashes, table))


def collect(
    records: Sequence[Record],
    table: Sequence[Release],
    machine: Optional[str] = None,
    by_commit: Optional[Dict[str, Release]] = None,
) -> List[Run]:
    """Runs in release order (unknown commits last), for one machine or all; `by_commit` is
    release_by_commit(table), where the caller has it already."""
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
            runs[key] = Run(r.machine, r.env, r.commit, by_commit.get(r.commit))
        runs[key].values[(r.benchmark, r.params)] = r.value
    order = {c: i for i, c in enumerate(by_commit)}
    return sorted(runs.values(), key=lambda u: (u.machine, u.env, order.get(u.commit, 1e9)))


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
