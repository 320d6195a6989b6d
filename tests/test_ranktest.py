"""The rank test and the Hodges-Lehmann change against cases counted by hand."""

import math

import pytest

from allocbench.history import ranktest


def test_u_distribution_of_two_against_two_counted_by_hand():
    # The six orderings, afters as a: aabb 0, abab 1, abba 2, baab 2, baba 3, bbaa 4.
    assert ranktest.u_counts(2, 2) == (1, 1, 2, 1, 1)


def test_u_distribution_of_five_against_five_starts_as_the_tables_say():
    counts = ranktest.u_counts(5, 5)
    assert sum(counts) == math.comb(10, 5) == 252
    assert counts[:6] == (1, 1, 2, 3, 5, 7)
    assert counts == counts[::-1]


def test_complete_separation_of_five_against_five_gives_2_in_252():
    before, after = [1.0, 1.1, 1.2, 1.05, 1.15], [2.0, 2.1, 2.2, 2.05, 2.15]
    assert ranktest.p_value(before, after) == pytest.approx(2 / 252)
    assert ranktest.p_value(after, before) == pytest.approx(2 / 252)


def test_three_against_three_cannot_reach_five_percent():
    assert ranktest.p_value([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    assert ranktest.interval_rank(3, 3)[0] == 0  # P(U = 0) = 1/20 > 2.5%


def test_ties_count_one_half():
    # U = 2.5 (a=3 over 1 and 2, tied with 3) + 3 + 3 = 8.5; of the 20 orderings of three
    # against three only one gives U >= 9 (all afters on top): p = 2 x 1/20.
    assert ranktest.u_counts(3, 3) == (1, 1, 2, 3, 3, 3, 3, 2, 1, 1)
    assert ranktest.u_statistic([1, 2, 3], [3, 4, 5]) == 8.5
    assert ranktest.p_value([1, 2, 3], [3, 4, 5]) == pytest.approx(0.1)
    # U = 1 + 2 + 3 = 6 here: P(U >= 6) = (3 + 2 + 1 + 1)/20, p = 2 x 7/20.
    assert ranktest.p_value([1, 2, 3], [1.5, 2.5, 4]) == pytest.approx(0.7)


def test_identical_samples_are_no_evidence():
    assert ranktest.p_value([1.0] * 5, [1.0] * 5) == 1.0


def test_interval_rank_of_five_against_five_is_the_third_ratio():
    k, coverage = ranktest.interval_rank(5, 5)
    assert k == 3
    assert coverage == pytest.approx(1 - 8 / 252)  # 96.8%


def test_hodges_lehmann_ratio_is_the_median_pairwise_ratio():
    # ratios 2/1, 4/1, 2/2, 4/2 = 2, 4, 1, 2: median 2.
    got = ranktest.compare([1.0, 2.0], [2.0, 4.0])
    assert got.estimate == 2.0
    assert got.coverage == 0.0 and got.high == math.inf


def test_interval_of_five_against_five_by_hand():
    before = [1.0, 1.0, 1.0, 1.0, 1.0]
    after = [1.1, 1.2, 1.3, 1.4, 1.5]
    got = ranktest.compare(before, after)
    # 25 ratios: each of 1.1 .. 1.5 five times; the 3rd is 1.1, the 23rd is 1.5, the 13th 1.3.
    assert (got.low, got.estimate, got.high) == (1.1, 1.3, 1.5)
    assert got.p == pytest.approx(2 / 252)
    assert got.before_median == 1.0 and got.after_median == 1.3


def test_beyond_a_threshold_either_way():
    assert ranktest.beyond(1.25, 0.2) and ranktest.beyond(0.8, 0.2)
    assert not ranktest.beyond(1.19, 0.2) and not ranktest.beyond(0.84, 0.2)


def test_values_must_be_positive():
    with pytest.raises(ValueError):
        ranktest.compare([0.0, 1.0], [1.0, 2.0])
