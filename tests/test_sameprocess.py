"""Interleaved same-process ratios: structured, and ordered the way the mechanism says."""

import time

import numpy as np
import pytest

from allocbench._advice import numpy_advice, numpy_advice_switch
from allocbench.catalog import MiB
from allocbench.harness import measure, sameprocess


def test_ratio_is_structured_and_consistent():
    figures = sameprocess.ratio("numpy.zeros", "numpy.empty", 1 * MiB, rounds=5)
    assert set(figures) == {"numerator_seconds", "denominator_seconds", "ratio"}
    # the median of the rounds' ratios, near the ratio of the medians
    medians = figures["numerator_seconds"] / figures["denominator_seconds"]
    assert figures["ratio"] == pytest.approx(medians, rel=0.5)
    assert 0 < figures["denominator_seconds"] < 1


def _fake(values):
    feed = iter(values)
    return lambda: next(feed)


def test_paired_ratio_is_the_median_of_each_rounds_ratio():
    # the machine slows down tenfold half way; each round's ratio is still 2
    top, bottom, ratio = measure.paired_ratio(
        _fake([2, 2, 20, 20, 20]), _fake([1, 1, 10, 10, 10]), rounds=5
    )
    assert (top, bottom, ratio) == (20, 10, 2)


def test_paired_ratio_flips_the_order_every_round():
    calls = []
    measure.paired_ratio(lambda: calls.append("n") or 1.0, lambda: calls.append("d") or 1.0, 3)
    assert calls == ["n", "d", "d", "n", "n", "d"]


def test_a_sample_repeats_a_fast_call_until_it_lasts():
    number = measure.calls_per_sample(lambda: np.empty(8), write=True, seconds=0.002)
    assert number > 10
    start = time.perf_counter()
    measure.batch_timer(lambda: np.empty(8), number, write=True)()
    assert time.perf_counter() - start >= 0.001


@pytest.mark.skipif(numpy_advice_switch() is None, reason="this numpy has no advice switch")
def test_numpy_advice_is_set_within_the_block_and_restored():
    switch = numpy_advice_switch()
    before = switch(True)
    try:
        with numpy_advice(False) as took:
            assert took and switch(False) is False
        assert switch(True) is True
    finally:
        switch(before)


def test_numpy_advice_none_leaves_numpy_alone():
    with numpy_advice(None) as took:
        assert took


def test_eager_zeroing_is_far_slower_than_lazy_above_the_cliff():
    figures = sameprocess.ratio("numba.zeros", "allocbench.zeros", 64 * MiB, rounds=3)
    assert figures["ratio"] > 20


def test_unknown_path_is_refused():
    with pytest.raises(KeyError):
        sameprocess.ratio("numpy.nope", "numpy.zeros", MiB)


def test_inside_njit_ratio_is_structured():
    figures = sameprocess.inside_njit_ratio(64 * 1024, calls=20, rounds=3)
    written = sameprocess.inside_njit_ratio(64 * 1024, calls=20, rounds=3, write=True)
    assert written["numerator_seconds"] > figures["numerator_seconds"] / 2
    assert set(figures) == {"numerator_seconds", "denominator_seconds", "ratio"}
    assert 0 < figures["numerator_seconds"] < 1e-3 and 0 < figures["denominator_seconds"] < 1e-3
    assert 0.01 < figures["ratio"] < 100
