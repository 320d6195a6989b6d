"""Interleaved same-process ratios: structured, and ordered the way the mechanism says."""

import pytest

from allocbench.catalog import MiB
from allocbench.harness import sameprocess


def test_ratio_is_structured_and_consistent():
    figures = sameprocess.ratio("numpy.zeros", "numpy.empty", 1 * MiB, calls=5)
    assert set(figures) == {"numerator_seconds", "denominator_seconds", "ratio"}
    assert figures["ratio"] == pytest.approx(
        figures["numerator_seconds"] / figures["denominator_seconds"]
    )
    assert 0 < figures["denominator_seconds"] < 1


def test_eager_zeroing_is_far_slower_than_lazy_above_the_cliff():
    figures = sameprocess.ratio("numba.zeros", "allocbench.zeros", 64 * MiB, calls=3)
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
