"""A per-call path's parts: measured and positive where they should be on the numba installed
here, n/a with the reason where a planted kernel elides the work, never clamped, and n/a
through the benchmark's setup."""

import dataclasses
import math

import numba
import numpy as np
import pytest

from allocbench.catalog import ANATOMY_PARTS, ANATOMY_SIZES, size_labels
from allocbench.harness import anatomy, inloop, measure
from benchmarks import bench_anatomy


@pytest.fixture
def quick(monkeypatch):
    """Samples of 2 ms instead of 10, so that a test times a part in well under a second, and
    any spread taken as steady: these tests check what is measured and what is n/a for its
    work, not the bound, which a busy machine (a test run beside a numba build) misses."""
    monkeypatch.setattr(anatomy, "SAMPLE_SECONDS", 0.002)
    monkeypatch.setattr(measure, "SPREAD_BOUND", 10.0)


@numba.njit
def _seven(x):
    return 7


@numba.njit
def _constant(a):
    return 1


@numba.njit
def _copy(a):
    return a.copy()


@numba.njit
def _new_array(a):
    return np.ones(a.shape[0], np.uint8)


@numba.njit
def _first_after_a_sum(a):
    return a[0] + (a.sum() == 12345)


@numba.njit
def _once_outside(nbytes, count):
    a = np.empty((nbytes,), np.uint8)
    total = 0
    for i in range(count):
        j = i % nbytes
        a[j] = i & 0x7F
        total += a[j]
    return total


@numba.njit
def _empty_for_zeros(nbytes, count):
    total = 0
    for i in range(count):
        a = np.empty((nbytes,), np.uint8)
        j = i % nbytes
        a[j] = i & 0x7F
        total += a[j]
    return total


def test_the_parts_are_the_fields_in_order():
    assert anatomy.PARTS == ANATOMY_PARTS == ("call", "unbox", "box", "alloc", "fill")
    assert tuple(f.name for f in dataclasses.fields(anatomy.Parts))[:5] == anatomy.PARTS


def test_every_part_is_measured_and_positive_here(quick):
    found = anatomy.parts(64 * 1024)
    assert found.reasons == ()
    for part in anatomy.PARTS:
        figure = found.figure(part)
        assert getattr(found, part) == figure.seconds
        assert figure.low <= figure.seconds <= figure.high
        assert figure.rounds >= measure.MIN_ROUNDS
        assert math.isfinite(figure.seconds) and figure.seconds < 1e-5
    # A call, a box, an allocation and a 64 KiB fill each cost something beyond their spread.
    for part in ("call", "box", "alloc", "fill"):
        assert found.figure(part).low > 0, part
    # Filling 64 KiB costs more than allocating it; a call more than allocating 8 B would.
    assert found.fill > found.alloc
    assert [line.split()[0] for line in anatomy.describe(found)] == list(anatomy.PARTS)


@pytest.mark.slow
@pytest.mark.parametrize("nbytes", ANATOMY_SIZES, ids=size_labels(ANATOMY_SIZES))
def test_every_part_at_the_benchmarks_sizes_with_full_samples(monkeypatch, nbytes):
    """Full 10 ms samples measure every part at every size the benchmark takes. The bound is
    widened to +-25%: the bound itself is tested in test_sameprocess, and a shared CI runner's
    8 B calls spread by 5-6% (one CI run on record)."""
    monkeypatch.setattr(measure, "SPREAD_BOUND", 0.25)
    found = anatomy.parts(nbytes)
    assert found.reasons == ()
    assert found.call > 0 and found.figure("box").low > 0 and found.figure("alloc").low > 0


@pytest.mark.parametrize("part", anatomy.PARTS)
def test_the_suites_kernels_do_the_work(part):
    for nbytes in ANATOMY_SIZES:
        assert anatomy.work_done(part, nbytes) is None


@pytest.mark.parametrize(
    "kernel, planted, part, words",
    [
        ("identity", _seven, "call", "does not return the int"),
        ("first", _constant, "unbox", "does not read the array"),
        ("given", _copy, "box", "does not give back the array"),
        ("given", _new_array, "box", "does not give back the array"),
        ("first", _new_array, "unbox", "does not read the array"),
    ],
)
def test_a_planted_kernel_that_skips_the_work_is_na(
    monkeypatch, quick, kernel, planted, part, words
):
    monkeypatch.setitem(anatomy.CALLED, kernel, planted)
    found = anatomy.parts(64)
    assert getattr(found, part) is None
    assert words in found.reason(part)
    assert f"numba {numba.__version__}" in found.reason(part)
    # The other parts are still measured.
    assert found.call is not None or part == "call"
    assert found.alloc is not None and found.fill is not None


def test_a_called_kernel_that_makes_arrays_of_its_own_is_na(monkeypatch):
    @numba.njit
    def given_after_a_copy(a):
        b = a.copy()
        return a if b[0] == a[0] else b

    monkeypatch.setitem(anatomy.CALLED, "given", given_after_a_copy)
    reason = anatomy.work_done("box", 64)
    assert reason and "makes arrays of its own" in reason


def test_a_loop_that_allocates_once_is_na_for_alloc_and_fill(monkeypatch, quick):
    monkeypatch.setattr(inloop, "loop", lambda path: _once_outside)
    found = anatomy.parts(64)
    for part in ("alloc", "fill"):
        assert getattr(found, part) is None
        assert "hoists the allocation out of the loop" in found.reason(part)
    assert found.call is not None and found.box is not None


def test_a_zeros_loop_that_does_not_fill_is_na(monkeypatch, quick):
    real = inloop.loop
    monkeypatch.setattr(
        inloop, "loop", lambda p: _empty_for_zeros if p == "numba.zeros" else real(p)
    )
    found = anatomy.parts(64)
    assert found.fill is None and "fills no whole block" in found.reason("fill")
    assert found.alloc is not None


def test_the_suites_zeros_loop_fills_and_its_empty_loop_does_not():
    assert anatomy.whole_block_fills(inloop.loop("numba.zeros")) >= 1
    assert anatomy.whole_block_fills(inloop.loop("numba.empty")) == 0


def test_a_negative_part_is_reported_not_clamped(monkeypatch, quick):
    # unbox's kernel made slower than box's: box comes out below zero, beyond its interval.
    monkeypatch.setitem(anatomy.CALLED, "first", _first_after_a_sum)
    found = anatomy.parts(64 * 1024)
    assert found.box < 0 and found.figure("box").negative
    assert found.negative() == ["box"]
    assert "negative beyond its interval" in anatomy.describe(found)[2]


def test_medians_that_never_settle_are_too_noisy(monkeypatch, quick):
    monkeypatch.setattr(measure, "SPREAD_BOUND", -1.0)
    with pytest.raises(measure.TooNoisy, match="too noisy here: call at 8 B"):
        anatomy.measure_part("call", 8)
    found = anatomy.parts(8)
    assert all(getattr(found, p) is None for p in anatomy.PARTS)
    assert all(found.reason(p).startswith("too noisy here") for p in anatomy.PARTS)


def test_one_part_alone(quick):
    figure = anatomy.measure_part("unbox", 8)
    assert figure.low <= figure.seconds <= figure.high
    assert anatomy.part_seconds("call", 8) > 0
    with pytest.raises(KeyError, match="no part 'boxing'"):
        anatomy.measure_part("boxing", 8)


def test_the_benchmark_takes_every_part_at_the_catalogs_sizes():
    assert bench_anatomy.Anatomy.params == (list(ANATOMY_PARTS), size_labels(ANATOMY_SIZES))


def test_the_benchmark_returns_the_part(quick):
    bench = bench_anatomy.Anatomy()
    bench.setup("call", "8 B")
    assert 0 < bench.track_seconds("call", "8 B") < 1e-5


def test_the_benchmarks_setup_is_na_for_a_planted_kernel(monkeypatch):
    monkeypatch.setitem(anatomy.CALLED, "given", _copy)
    with pytest.raises(NotImplementedError, match="does not give back the array"):
        bench_anatomy.Anatomy().setup("box", "64 KiB")


def test_the_benchmarks_setup_is_na_where_too_noisy(monkeypatch, quick):
    monkeypatch.setattr(measure, "SPREAD_BOUND", -1.0)
    with pytest.raises(measure.TooNoisy, match="too noisy here: alloc at 65,536 B"):
        bench_anatomy.Anatomy().setup("alloc", "64 KiB")
