"""Interleaved same-process ratios: structured, and ordered the way the mechanism says."""

import sys
import time

import numpy as np
import pytest

from allocbench.catalog import MiB
from allocbench.harness import measure, probes, sameprocess


def test_ratio_is_structured_and_consistent():
    figures = sameprocess.ratio("numpy.zeros", "numpy.empty", 1 * MiB, rounds=5)
    # the median of the rounds' ratios, near the ratio of the medians
    medians = figures.numerator_seconds / figures.denominator_seconds
    assert figures.ratio == pytest.approx(medians, rel=0.5)
    assert 0 < figures.denominator_seconds < 1


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
    number, one = measure.calls_per_sample(lambda: np.empty(8), write=True, seconds=0.002)
    assert number > 10 and 0 < one < 0.002 / 10
    assert number * one >= 0.002


def test_a_slow_call_is_a_sample_on_its_own_and_timed_once():
    calls = []

    def slow():
        calls.append(1)
        start = time.thread_time()  # the samples are CPU time: a sleep would take none
        while time.thread_time() - start < 0.01:
            pass
        return np.empty(8)

    number, one = measure.calls_per_sample(slow, write=False, seconds=0.002)
    assert (number, len(calls)) == (1, 1) and one >= 0.01


def _huge_pages_disabled():
    return int(probes.ctypes.CDLL(None).prctl(42, 0, 0, 0, 0))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_huge_pages_are_off_within_the_block_and_restored():
    assert _huge_pages_disabled() == 0
    with probes.huge_pages_off() as took:
        assert took and _huge_pages_disabled() == 1
    assert _huge_pages_disabled() == 0


def _faults_writing_advised_memory(nbytes):
    """Minor faults taken by writing every byte of fresh private memory given the huge-page
    advice."""
    import ctypes
    import mmap

    region = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    region.madvise(mmap.MADV_HUGEPAGE)
    buffer = (ctypes.c_char * nbytes).from_buffer(region)
    before = probes.minor_faults()
    ctypes.memset(buffer, 1, nbytes)
    faults = probes.minor_faults() - before
    del buffer
    region.close()
    return faults


@pytest.mark.skipif(probes.transparent_hugepages() not in ("madvise", "always"), reason="no THP")
def test_without_huge_pages_advised_memory_faults_every_small_page():
    nbytes = 64 * MiB
    with probes.huge_pages_off():
        assert _faults_writing_advised_memory(nbytes) == nbytes // probes.page_size()


def test_unknown_path_is_refused():
    with pytest.raises(KeyError):
        sameprocess.ratio("numpy.nope", "numpy.zeros", MiB)


def test_inside_njit_ratio_is_structured():
    figures = sameprocess.inside_njit_ratio(64 * 1024, calls=20, rounds=3)
    written = sameprocess.inside_njit_ratio(64 * 1024, calls=20, rounds=3, write=True)
    assert written.numerator_seconds > figures.numerator_seconds / 2
    assert 0 < figures.numerator_seconds < 1e-3 and 0 < figures.denominator_seconds < 1e-3
    assert 0.01 < figures.ratio < 100


def test_a_steady_ratio_stops_at_its_fewest_rounds():
    figures = measure.steady_ratio(lambda: 2.0, lambda: 1.0, what="steady")
    assert (figures.ratio, figures.spread, figures.rounds) == (2.0, 0.0, measure.MIN_ROUNDS)


def test_a_ratio_that_never_settles_is_too_noisy_and_says_how_far_it_spread():
    draws = iter([1.0, 1.6, 0.7, 1.3, 0.9] * 100)
    with pytest.raises(measure.TooNoisy, match=r"too noisy here: planted spread by \+-\d"):
        measure.steady_ratio(lambda: next(draws), lambda: 1.0, what="planted", max_rounds=15)


def test_a_noisy_start_is_outgrown_by_steady_rounds():
    draws = iter([1.0, 1.5, 0.6] + [1.0] * 100)
    figures = measure.steady_ratio(lambda: next(draws), lambda: 1.0, what="settles")
    assert figures.ratio == 1.0 and figures.spread <= measure.SPREAD_BOUND
    assert measure.MIN_ROUNDS < figures.rounds < measure.MAX_ROUNDS


def test_the_median_interval_widens_to_the_extremes_for_few_values():
    assert measure.median_interval([3, 1, 2, 5, 4]) == (1, 5)
    assert measure.median_interval(list(range(100))) == (40, 59)


def test_samples_are_cpu_time_so_a_wait_is_not_counted():
    def waits():
        time.sleep(0.02)
        return np.empty(8)

    assert measure.timer(waits)() < 0.01
