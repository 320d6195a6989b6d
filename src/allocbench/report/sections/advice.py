"""What to do about it, each piece of advice backed by the medians it quotes."""

from __future__ import annotations

import statistics
from typing import List, Optional, Sequence

from allocbench.catalog import HEADLINE_SIZE, Bench
from allocbench.report.findings import Block, bold, bullet
from allocbench.report.runs import Run
from allocbench.report.words import times


def _median_ratio(runs: Sequence[Run], benchmark: str, slow: str, fast: str) -> Optional[float]:
    values = [r.ratio(benchmark, slow, fast, HEADLINE_SIZE) for r in runs]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def advice(runs: Sequence[Run]) -> List[Block]:
    """What to do, each line backed by the medians it quotes."""
    found: List[Block] = []
    passed_in = _median_ratio(runs, Bench.ALLOC, "mixed.zeros_in", "numpy.zeros")
    if passed_in is not None:
        inside = _median_ratio(runs, Bench.ALLOC, "numba.zeros", "numpy.zeros")
        found.append(bullet(
            bold("Allocate outside @njit code and pass the array in"),
            f": at 256 MiB that costs {times(passed_in)} numpy's np.zeros (median over the "
            f"runs), against {times(inside)} for np.zeros inside."))  # fmt: skip
    empty = _median_ratio(runs, Bench.WRITE, "numba.empty", "numba.zeros")
    if empty is not None:
        found.append(bullet(
            bold("Use np.empty when every element is written anyway"),
            f": inside @njit, np.empty + writing every element takes {times(empty)} the time of "
            f"np.zeros + the same write at 256 MiB (median)."))  # fmt: skip
    fix = _median_ratio(runs, Bench.ALLOC, "allocbench.zeros", "numpy.zeros")
    fix_write = _median_ratio(runs, Bench.WRITE, "allocbench.zeros", "numpy.zeros")
    if fix is not None:
        found.append(bullet(
            bold("Or use allocbench.zeros inside @njit"),
            f": at 256 MiB its allocation takes {times(fix)} numpy's np.zeros, and allocation + "
            f"write {times(fix_write)} (medians)."))  # fmt: skip
    return found or [bullet("These results hold none of the comparisons the advice rests on.")]
