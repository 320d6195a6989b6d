"""The exact two-sided Mann-Whitney U test and the Hodges-Lehmann change, as a ratio.

Small samples (a handful of fresh processes per release) need the exact null distribution of
U, not the normal approximation: it is counted here (the number of ways each U arises among
the C(n+m, n) equally likely orderings). The change of `after` over `before` is the median of
the n x m pairwise ratios after/before (Hodges-Lehmann), and its confidence interval the order
statistics of those ratios that the exact distribution of U gives (Hollander and Wolfe,
ch. 4.3): for n = m = 5, the 3rd and the 23rd of the 25 ratios, 96.8% coverage.

Ties count one half in U; the p-value then comes from the distribution without ties, which
is what the exact test can offer. Standard library only.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Sequence, Tuple


@lru_cache(maxsize=None)
def u_counts(n: int, m: int) -> Tuple[int, ...]:
    """How many of the C(n+m, n) orderings of n values against m give each U = 0 .. n*m (the
    number of (before, after) pairs where after is the larger)."""
    # ways[i][j][u]: orderings of i befores and j afters with statistic u, built by adding the
    # largest value last: an after placed last is above every before (u grows by i).
    table = {(0, 0): (1,)}
    for i in range(n + 1):
        for j in range(m + 1):
            if i == j == 0:
                continue
            counts = [0] * (i * j + 1)
            if i > 0:  # the largest is a before: it adds nothing
                for u, c in enumerate(table[(i - 1, j)]):
                    counts[u] += c
            if j > 0:  # the largest is an after: above all i befores
                for u, c in enumerate(table[(i, j - 1)]):
                    counts[u + i] += c
            table[(i, j)] = tuple(counts)
    return table[(n, m)]


def u_statistic(before: Sequence[float], after: Sequence[float]) -> float:
    """U: the pairs (b in before, a in after) with a > b, ties counting one half."""
    return sum((a > b) + 0.5 * (a == b) for b in before for a in after)


def p_value(before: Sequence[float], after: Sequence[float]) -> float:
    """The exact two-sided p-value of the Mann-Whitney U test of `after` against `before`."""
    n, m = len(before), len(after)
    if not n or not m:
        raise ValueError("both samples need at least one value")
    counts = u_counts(n, m)
    total = sum(counts)
    u = u_statistic(before, after)
    low = sum(counts[: math.floor(u) + 1]) / total  # P(U <= u)
    high = sum(counts[math.ceil(u) :]) / total  # P(U >= u)
    return min(1.0, 2 * min(low, high))


def interval_rank(n: int, m: int, alpha: float = 0.05) -> Tuple[int, float]:
    """k, and the coverage, of the interval [D(k), D(n*m + 1 - k)] of the sorted pairwise
    ratios: the largest k with P(U <= k - 1) <= alpha / 2 (k = 0: no interval exists at
    this level, the samples are too small)."""
    counts = u_counts(n, m)
    total = sum(counts)
    k, below = 0, 0
    while k < len(counts) and (below + counts[k]) / total <= alpha / 2:
        below += counts[k]
        k += 1
    return k, 1 - 2 * below / total


@dataclass(frozen=True)
class Comparison:
    """`after` against `before`: the change as a ratio, its interval, and the test."""

    estimate: float
    low: float
    high: float
    #: The interval's coverage (0 where the samples are too small for one at 95%).
    coverage: float
    p: float
    before_median: float
    after_median: float


def compare(before: Sequence[float], after: Sequence[float], alpha: float = 0.05) -> Comparison:
    """The Hodges-Lehmann ratio after/before with its exact interval, and the exact test.
    Values must be positive (they are times or ratios of times)."""
    if any(v <= 0 for v in [*before, *after]):
        raise ValueError("the values must be positive to be compared as ratios")
    ratios: List[float] = sorted(a / b for b in before for a in after)
    k, coverage = interval_rank(len(before), len(after), alpha)
    low, high = (ratios[k - 1], ratios[-k]) if k else (0.0, math.inf)
    return Comparison(
        estimate=statistics.median(ratios),
        low=low,
        high=high,
        coverage=coverage if k else 0.0,
        p=p_value(before, after),
        before_median=statistics.median(before),
        after_median=statistics.median(after),
    )


def beyond(change: float, threshold: float) -> bool:
    """Whether the ratio `change` is a change of more than `threshold` either way (asv's
    relative threshold upward, its reciprocal downward: 0.2 is above 1.2 or below 1/1.2)."""
    return change > 1 + threshold or change < 1 / (1 + threshold)
