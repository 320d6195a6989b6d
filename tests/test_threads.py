"""The thread benchmarks prove their work: a loop numba hoisted or dropped the allocation out of
is an n/a with its reason, never a figure, and the suite's own loops pass the same check.

The planted kernels are the shapes numba elides on the numba installed here: np.empty or
np.zeros written in a prange body (numba hoists the allocation into each thread's chunk), an
array that is never used (numba drops it), and a loop that allocates but never writes, checked
as numba.zeros.
"""

import subprocess
import sys
import time

import numba
import numpy as np
import pytest

from allocbench.catalog import THREAD_MODES, THREAD_PATHS, THREAD_SIZES, format_size, size_labels
from allocbench.harness import nrt, threads
from benchmarks import bench_threads

needs_prange = pytest.mark.skipif(not threads.can_set_threads(), reason="numba < 0.49")
ITERATIONS = 2 * threads.CHECK_ITERATIONS


def _inline_prange(which):
    """The suite's loop before the fix: the allocation written in the prange body."""

    def allocate(nbytes, count):
        last = np.zeros(count, np.uint8)
        for i in numba.prange(count):
            if which == 0:  # noqa: SIM108 (the shape the suite had, branch for branch)
                a = np.zeros((nbytes,), np.uint8)
            else:
                a = np.empty((nbytes,), np.uint8)
            last[i] = a[nbytes - 1]
        return last.sum()

    return numba.njit(parallel=True)(allocate)


@numba.njit(parallel=True)
def _unused_prange(nbytes, count):
    last = np.zeros(count, np.uint8)
    for _ in numba.prange(count):
        np.zeros((nbytes,), np.uint8)
    return last.sum()


@pytest.fixture(autouse=True)
def _fresh_checks(monkeypatch):
    # work_done remembers its answer per process; each test asks afresh.
    monkeypatch.setattr(threads, "_checked", {})


@pytest.mark.parametrize("nbytes", THREAD_SIZES, ids=size_labels(THREAD_SIZES))
@pytest.mark.parametrize("mode", THREAD_MODES)
@pytest.mark.parametrize("path", THREAD_PATHS)
def test_the_suites_loops_allocate_every_iteration(path, mode, nbytes):
    if mode == "prange" and not threads.can_set_threads():
        pytest.skip("numba < 0.49: prange figures are n/a")
    assert threads.work_done(path, mode, nbytes) is None


@needs_prange
@pytest.mark.parametrize("nbytes", THREAD_SIZES, ids=size_labels(THREAD_SIZES))
@pytest.mark.parametrize(("which", "path"), [(0, "numba.zeros"), (1, "numba.empty")])
def test_an_allocation_written_in_the_prange_body_is_caught(which, path, nbytes):
    reason = threads.work_done(path, "prange", nbytes, _inline_prange(which))
    assert reason is not None
    assert f"numba {numba.__version__} hoists the allocation out of a prange loop" in reason
    assert f"for {ITERATIONS} iterations of {path}" in reason


@needs_prange
def test_an_array_never_used_is_caught():
    reason = threads.work_done("numba.zeros", "prange", 64 * 1024, _unused_prange)
    assert reason is not None and "drops it" in reason


@pytest.mark.parametrize("mode", THREAD_MODES)
def test_arrays_never_written_fail_as_numba_zeros(mode):
    # numba.empty's loop allocates every iteration but writes one page of each array: as
    # numba.zeros, whose every page is written, that is a zero-fill optimised away.
    nbytes = max(THREAD_SIZES)
    if mode == "prange" and not threads.can_set_threads():
        pytest.skip("numba < 0.49: prange figures are n/a")
    if not threads._pages_are_evidence("numba.zeros", nbytes):
        pytest.skip("page faults show no writes here (not glibc, or below its mmap threshold)")
    unwritten = threads.loop("numba.empty", mode)
    assert threads.work_done("numba.empty", mode, nbytes, unwritten) is None
    reason = threads.work_done("numba.zeros", mode, nbytes, unwritten)
    assert reason is not None
    assert "unwritten" in reason and format_size(nbytes) in reason


@needs_prange
@pytest.mark.skipif(threads.cores() < 2, reason="one core")
@pytest.mark.parametrize("cls", [bench_threads.ThreadedAlloc, bench_threads.ThreadScaling])
def test_the_benchmarks_setup_is_na_for_a_planted_kernel(cls, monkeypatch):
    monkeypatch.setattr(threads, "loop", lambda path, mode: _inline_prange(0))
    counts = ("2",) if cls is bench_threads.ThreadedAlloc else ()
    with pytest.raises(NotImplementedError, match="hoists the allocation"):
        cls().setup("numba.zeros", "prange", *counts, "64 KiB")


@needs_prange
def test_the_check_leaves_the_thread_count_and_the_runtime_stats_as_they_were():
    enabled = getattr(nrt._nrt_python, "memsys_stats_enabled", lambda: None)
    before_stats, before_threads = enabled(), numba.get_num_threads()
    threads.work_done("numba.zeros", "prange", 64 * 1024)
    threads.work_done("numba.zeros", "prange", 64 * 1024, _inline_prange(0))
    assert (enabled(), numba.get_num_threads()) == (before_stats, before_threads)


@pytest.mark.skipif(threads.cores() < 2, reason="thread scaling needs two cores")
def test_thread_scaling_is_na_while_another_process_holds_a_core():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        with pytest.raises(NotImplementedError, match="the cores were not idle: other processes"):
            bench_threads.ThreadScaling().setup("numba.zeros", "threads", "1 MiB")
    finally:
        spinner.kill()
        spinner.wait()
