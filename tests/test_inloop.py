"""Allocation inside one compiled loop proves its work: a loop that allocates nothing, or once
outside the loop, is an n/a with its reason, never a figure, and the suite's loops pass the
same check on the numba installed here."""

import math

import numba
import numpy as np
import pytest

from allocbench.catalog import INLOOP_PATHS, INLOOP_SIZES, size_labels
from allocbench.harness import inloop, nrt
from benchmarks import bench_fix, bench_inloop


@pytest.fixture(autouse=True)
def _any_spread_is_steady(monkeypatch):
    """These tests check that the figures run and what is n/a for its work, not the spread
    bound (tests/test_sameprocess.py does), which a busy machine misses."""
    from allocbench.harness import measure

    monkeypatch.setattr(measure, "SPREAD_BOUND", 10.0)


@numba.njit
def _no_allocation(nbytes, count):
    buffer = np.ones(1, np.uint8)
    total = 0
    for i in range(count):
        total += buffer[0] + i % nbytes
    return total


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
def _no_allocation_at_all(nbytes, count):
    total = 0
    for i in range(count):
        total += i % nbytes
    return total


@pytest.mark.parametrize("nbytes", INLOOP_SIZES, ids=size_labels(INLOOP_SIZES))
@pytest.mark.parametrize("path", INLOOP_PATHS)
def test_the_suites_loops_allocate_every_iteration(path, nbytes):
    assert inloop.work_done(path, nbytes) is None


@pytest.mark.parametrize("planted", [_no_allocation, _no_allocation_at_all, _once_outside])
def test_a_loop_that_does_not_allocate_every_iteration_is_caught(planted):
    reason = inloop.work_done("numba.empty", 64, planted)
    assert reason is not None
    assert f"numba {numba.__version__} hoists the allocation out of the loop" in reason
    assert f"for {inloop.CHECK_COUNT} iterations of numba.empty" in reason


@pytest.mark.parametrize("planted", [_no_allocation_at_all, _once_outside])
def test_the_benchmarks_setup_is_na_for_a_planted_loop(planted, monkeypatch):
    monkeypatch.setattr(inloop, "loop", lambda path: planted)
    with pytest.raises(NotImplementedError, match="hoists the allocation"):
        bench_inloop.InLoop().setup("numba.zeros", "64 B")


def test_the_benchmarks_setup_passes_for_the_suites_loop():
    bench_inloop.InLoop().setup("numba.zeros", "8 B")


def test_the_check_leaves_the_runtime_stats_as_they_were():
    enabled = getattr(nrt._nrt_python, "memsys_stats_enabled", lambda: None)
    before = enabled()
    inloop.work_done("numba.zeros", 64)
    inloop.work_done("numba.zeros", 64, _once_outside)
    assert enabled() == before


@pytest.mark.parametrize("path", INLOOP_PATHS)
def test_the_ratio_is_a_positive_finite_number(path):
    found = inloop.ratio(path, 64, rounds=3)
    assert math.isfinite(found.ratio) and found.ratio > 0
    assert found.loop_seconds > 0 and found.control_seconds > 0


def test_the_benchmark_returns_the_ratio():
    bench = bench_inloop.InLoop()
    bench.setup("allocbench.zeros", "1 KiB")
    figure = bench.track_loop_over_control("allocbench.zeros", "1 KiB")
    assert math.isfinite(figure) and figure > 0


@pytest.mark.parametrize("cls", [bench_fix.FixInsideNjit, bench_fix.NumbaZerosOverNumpy])
def test_the_fixs_inside_njit_figures_are_na_for_a_planted_loop(cls, monkeypatch):
    from allocbench.harness import kernels

    monkeypatch.setattr(kernels, "kernel", lambda *args: lambda shape, count: _once_outside(
        shape[0], count))  # fmt: skip
    with pytest.raises(NotImplementedError, match="hoists the allocation out of the loop"):
        cls().setup("64 KiB", "alone")


@pytest.mark.parametrize("fix", [True, False])
def test_the_fixs_inside_njit_loops_allocate_every_iteration(fix):
    from allocbench.harness import sameprocess

    assert sameprocess.inside_njit_work_done(64 * 1024, fix=fix) is None


def test_a_counted_ratio_counts_while_it_times_and_leaves_the_stats_as_they_were(monkeypatch):
    enabled = getattr(nrt._nrt_python, "memsys_stats_enabled", lambda: None)
    before, seen = enabled(), []
    timed = inloop.steady_ratio

    def watching(*args, **kwargs):
        seen.append(enabled())
        return timed(*args, **kwargs)

    monkeypatch.setattr(inloop, "steady_ratio", watching)
    figure = inloop.ratio("numba.empty", 8, counting=True)
    assert figure.ratio > 1 and seen in ([True], [None])
    assert enabled() == before
