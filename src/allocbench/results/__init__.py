"""Read an asv results directory into flat records, and compare two paths from them.

One record per machine, environment, commit, benchmark and parameter combination. Anything
that is not what asv writes gets a ResultsError naming the file, never a traceback.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import pathlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

from allocbench.catalog import MiB
from allocbench.errors import UserError

PathLike = Union[str, pathlib.Path]


class ResultsError(UserError):
    """The results directory is missing, empty, or holds something asv did not write."""


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
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _records_of(path: pathlib.Path) -> List[Record]:
    try:
        data = json.loads(path.read_text())
        columns = data["result_columns"]
        machine = data["params"]["machine"]
        env, commit = data["env_name"], data["commit_hash"]
        results = data["results"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"{path}: not an asv results file ({exc!r})") from None
    records = []
    for benchmark, entry in results.items():
        try:
            row = dict(zip(columns, entry))
            grid = [[_parse_param(p) for p in values] for values in row.get("params") or []]
            combos = list(itertools.product(*grid))
            values = row["result"] if row["result"] is not None else [None] * len(combos)
            values = list(values)
        except (TypeError, KeyError) as exc:
            raise ResultsError(f"{path}: malformed entry for {benchmark} ({exc!r})") from None
        if len(values) != len(combos):
            raise ResultsError(
                f"{path}: {benchmark} has {len(values)} values for {len(combos)} parameter sets"
            )
        for params, value in zip(combos, values):
            # asv writes NaN for parameter combinations it skipped (--bench selections).
            measured = isinstance(value, (int, float)) and not math.isnan(value)
            value = value if measured else None
            records.append(Record(machine, env, commit, benchmark, tuple(params), value))
    return records


def load(results_dir: PathLike) -> List[Record]:
    """Every record under `results_dir` (asv's layout: one folder per machine)."""
    root = pathlib.Path(results_dir)
    if not root.is_dir():
        raise ResultsError(f"{root}: no such results directory; run the suite first")
    files = sorted(
        p for p in root.glob("*/*.json") if p.name not in ("machine.json", "benchmarks.json")
    )
    if not files:
        raise ResultsError(f"{root}: no results files in it; run the suite first")
    return [record for path in files for record in _records_of(path)]


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
