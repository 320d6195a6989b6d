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
        time.sleep(0.01)
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
