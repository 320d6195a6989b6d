"""asv's results as records (``allocbench.results.model``: each file read once, by the one rule
of ``allocbench.results.rules``), and one path's figures over another's.

One record per machine, environment, commit, benchmark and parameter combination. Anything
that is not what asv writes gets a ResultsError naming the file, never a traceback.
"""

from __future__ import annotations

from typing import Dict, List, Sequence

from allocbench.catalog import HEADLINE_SIZE
from allocbench.results.model import Record, load
from allocbench.results.rules import ResultsError, row_flaw

__all__ = ["Record", "ResultsError", "load", "ratios", "row_flaw"]


def _path_and_size(record: Record) -> tuple:
    """(path, size) of a record of a benchmark measured over both, else ()."""
    try:
        return (record.param("path"), record.param("size"))
    except KeyError:
        return ()


def ratios(
    records: Sequence[Record],
    numerator: str = "numba.zeros",
    denominator: str = "numpy.zeros",
    nbytes: int = HEADLINE_SIZE,
) -> List[Dict[str, object]]:
    """numerator / denominator for every benchmark over a path and a size that measured both
    at `nbytes`."""
    by_key = {(r.machine, r.env, r.commit, r.benchmark, _path_and_size(r)): r.value
              for r in records}  # fmt: skip
    rows = []
    for r in records:
        if _path_and_size(r) != (numerator, nbytes):
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
