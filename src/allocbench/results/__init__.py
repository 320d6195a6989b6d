"""Read an asv results directory into flat records (with asv's own reader); compare paths.

One record per machine, environment, commit, benchmark and parameter combination. Anything
that is not what asv writes gets a ResultsError naming the file, never a traceback: every file
is judged by ``allocbench.results.rules``, as the merge and the history judge it.
"""

from __future__ import annotations

import ast
import itertools
import math
import pathlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

from asv import results as asv_results
from asv import util as asv_util

from allocbench.catalog import MiB, size_bytes
from allocbench.results import rules
from allocbench.results.rules import ResultsError, row_flaw

__all__ = ["Record", "ResultsError", "load", "ratios", "row_flaw"]

PathLike = Union[str, pathlib.Path]


@dataclass(frozen=True)
class Record:
    """One measured value (None where asv recorded a failure or n/a)."""

    machine: str
    env: str
    commit: str
    benchmark: str
    params: Tuple[object, ...]
    value: Optional[float]


def _parse_param(text: str) -> object:
    """A parameter's value as asv wrote it (its repr); a size label ('32 MiB') as bytes."""
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


def _current(root: pathlib.Path) -> Optional[dict]:
    """benchmarks.json of the results directory: the benchmarks as they are now, with their
    versions; None where there is none (then every result counts)."""
    path = root / rules.BENCHMARKS
    if not path.exists():
        return None
    current = rules.read(path)
    current.pop("version")
    return current


def _records_of(path: pathlib.Path, current: Optional[dict] = None) -> List[Record]:
    """The records of one results file, read by asv's own Results.load; with `current`, only
    the benchmarks that still exist at the version that was measured, as asv keeps them."""
    try:
        rules.read(path)
        result = asv_results.Results.load(str(path))
        machine = result.params["machine"]
        keys = sorted(
            result.get_all_result_keys() if current is None else result.get_result_keys(current)
        )
    except (asv_util.UserError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ResultsError(f"{path}: not an asv results file ({exc})") from None
    records = []
    for benchmark in keys:
        try:
            params = result.get_result_params(benchmark) or []
            grid = [[_parse_param(p) for p in values] for values in params]
            combos = list(itertools.product(*grid))
            values = result.get_result_value(benchmark, params)
            values = list(values) if values is not None else [None] * len(combos)
        except (TypeError, KeyError, ValueError) as exc:
            raise ResultsError(f"{path}: malformed entry for {benchmark} ({exc!r})") from None
        if len(values) != len(combos):
            raise ResultsError(
                f"{path}: {benchmark} has {len(values)} values for {len(combos)} parameter sets"
            )
        for combo, value in zip(combos, values):
            where = (machine, result.env_name, result.commit_hash, benchmark, combo)
            records.append(Record(*where, _measured(value)))
    return records


def load(results_dir: PathLike) -> List[Record]:
    """Every record under `results_dir` (asv's layout: one folder per machine)."""
    root = pathlib.Path(results_dir)
    if not root.is_dir():
        raise ResultsError(f"{root}: no such results directory; run the suite first")
    files = sorted(p for p in root.glob("*/*.json") if rules.kind_of(p) == "results")
    if not files:
        raise ResultsError(f"{root}: no results files in it; run the suite first")
    current = _current(root)
    return [record for path in files for record in _records_of(path, current)]


def ratios(
    records: Sequence[Record],
    numerator: str = "numba.zeros",
    denominator: str = "numpy.zeros",
    nbytes: int = 256 * MiB,
) -> List[Dict[str, object]]:
    """numerator / denominator for every (path, nbytes) benchmark that measured both."""
    by_key = {(r.machine, r.env, r.commit, r.benchmark, r.params): r.value for r in records}
    rows = []
    for r in records:
        if r.params != (numerator, nbytes):
            continue
        other = by_key.get((r.machine, r.env, r.commit, r.benchmark, (denominator, nbytes)))
        if r.value is None or not other:
            continue
        rows.append(
            {
                "machine": r.machine,
                "env": r.env,
                "commit": r.commit,
                "benchmark": r.benchmark,
                "numerator": r.value,
                "denominator": other,
                "ratio": r.value / other,
            }
        )
    return rows
