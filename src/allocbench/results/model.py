"""The one reading of an asv results directory: each file read once, into typed records.

A record keeps what asv's results file says of where a figure was measured: the machine, the
environment's name, its Python, its requirements (numpy's version) and its environment
variables (asv's ``env_vars``: the variants' GLIBC_TUNABLES, the switch, the patched build,
LD_PRELOAD), the commit and, where the caller names it, the release the commit stands for;
and of the figure: its benchmark, its parameters by name (from benchmarks.json) and value,
typed (a size is an int of bytes), and its value. Every file is judged by
``allocbench.results.rules`` first, as the merge and the history judge it.
"""

from __future__ import annotations

import ast
import itertools
import math
import pathlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from asv import results as asv_results

from allocbench.catalog import size_bytes
from allocbench.results import rules
from allocbench.results.rules import ResultsError

PathLike = Union[str, pathlib.Path]


@dataclass(frozen=True)
class Record:
    """One measured value (None where asv recorded a failure or n/a), and where it was
    measured."""

    machine: str
    env: str
    commit: str
    benchmark: str
    params: Tuple[object, ...]
    value: Optional[float]
    #: The parameters' names, as the benchmark declares them (benchmarks.json); () if unknown.
    param_names: Tuple[str, ...] = ()
    python: str = ""
    requirements: Mapping[str, str] = field(default_factory=dict, compare=False)
    env_vars: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: What the caller's commit -> release mapping names the commit, or None.
    release: Any = field(default=None, compare=False)

    def param(self, name: str) -> object:
        """The value of the parameter `name`; KeyError where the benchmark has none so named."""
        return dict(zip(self.param_names, self.params))[name]


def parse_param(text: str) -> object:
    """A parameter's value as asv wrote it (its repr), typed: a size label ('32 MiB') as its
    bytes, a number as a number, a string as the string."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(value, str):
        try:
            return size_bytes(value)
        except ValueError:
            pass
    return value


def _measured(value: object) -> Optional[float]:
    # asv writes NaN for parameter combinations it skipped (--bench selections).
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    return float(value) if ok else None


def current_benchmarks(root: pathlib.Path) -> Optional[Dict[str, dict]]:
    """benchmarks.json of the results directory: the benchmarks as they are now, with their
    versions and parameter names; None where there is none (then every result counts)."""
    path = root / rules.BENCHMARKS
    if not path.exists():
        return None
    current = dict(rules.read(path))
    current.pop("version")
    return current


def _names(current: Optional[Dict[str, dict]], benchmark: str, count: int) -> Tuple[str, ...]:
    info = (current or {}).get(benchmark)
    names = info.get("param_names") if isinstance(info, dict) else None
    ok = isinstance(names, list) and len(names) == count and all(isinstance(n, str) for n in names)
    return tuple(names) if ok else ()


def records_of(
    path: pathlib.Path,
    current: Optional[Dict[str, dict]] = None,
    releases: Optional[Mapping[str, Any]] = None,
) -> List[Record]:
    """The records of one results file, read once and checked by the rules; with `current`
    (benchmarks.json), only the benchmarks that still exist at the version that was measured,
    as asv keeps them; `releases` names each commit (commit -> release)."""
    data = rules.read(path)
    columns = data["result_columns"]
    commit = data["commit_hash"]
    where = dict(
        machine=path.parent.name,
        env=data["env_name"],
        commit=commit,
        python=str(data["python"]),
        requirements=dict(data.get("requirements") or {}),
        env_vars=dict(data.get("env_vars") or {}),
        release=(releases or {}).get(commit),
    )
    records = []
    for benchmark in sorted(data["results"]):
        entry = dict(zip(columns, data["results"][benchmark]))
        if current is not None:
            info = current.get(benchmark)
            if not isinstance(info, dict) or info.get("version") != entry.get("version"):
                continue
        params = entry.get("params") or []
        grid = [[parse_param(p) for p in values] for values in params]
        # asv stores one value per combination, in itertools.product's order.
        combos = list(itertools.product(*grid))
        values = asv_results._compatible_results(entry.get("result"), params, params)
        names = _names(current, benchmark, len(params))
        for combo, value in zip(combos, values):
            records.append(Record(benchmark=benchmark, params=tuple(combo),
                                  value=_measured(value), param_names=names,
                                  **where))  # fmt: skip
    return records


def results_files(root: pathlib.Path) -> List[pathlib.Path]:
    """The results files of the results directory `root`, in asv's layout (a folder per
    machine); ResultsError where there is no such directory or no results in it."""
    if not root.is_dir():
        raise ResultsError(f"{root}: no such results directory; run the suite first")
    files = sorted(p for p in root.glob("*/*.json") if rules.kind_of(p) == "results")
    if not files:
        raise ResultsError(f"{root}: no results files in it; run the suite first")
    return files


def load(results_dir: PathLike, releases: Optional[Mapping[str, Any]] = None) -> List[Record]:
    """Every record under `results_dir`; `releases` (commit -> release) names the commits."""
    root = pathlib.Path(results_dir)
    files = results_files(root)
    current = current_benchmarks(root)
    return [record for path in files for record in records_of(path, current, releases)]
