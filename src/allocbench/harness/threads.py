"""Allocation from several threads at once: inside a prange loop, or from Python threads.

numba's runtime counts every allocation and free in counters that all threads share (numba
issue 8101), and arrays above glibc's mmap threshold are mapped and faulted in by each thread
under the process's one memory map. Either can make N threads allocate no faster than one.
Two ways of getting there are measured: `prange`, an ``@njit(parallel=True)`` loop whose
every iteration allocates an array, with numba's thread count set to N; and `threads`, N
Python threads each calling an ``@njit(nogil=True)`` loop that allocates arrays.

The figure the history follows is the parallel efficiency: the time per array on one thread
over the time per array with N threads, divided by N (1.0: N threads allocate N times as
fast), both timed back to back in one process, round after round.
"""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Callable, Dict, Tuple

import numba
import numpy as np

from allocbench._njit import cached_njit
from allocbench.harness.measure import paired_ratio

#: What each allocating loop allocates, by path: a constant of the compiled closure.
_WHICH = {"numba.zeros": 0, "numba.empty": 1, "allocbench.zeros": 2}
#: Each timed sample allocates arrays for at least this long (seconds).
SAMPLE_SECONDS = 0.01


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def thread_count(label: str) -> int:
    """'1', '2' or 'all' (every core this process may use) as a number."""
    return cores() if label == "all" else int(label)


def _allocating_loop(which: int) -> Callable:
    # numba.prange is a plain range where the function is not compiled with parallel=True.
    from allocbench._zeros import zeros as calloc_zeros

    def allocate(nbytes, count):
        last = np.zeros(count, np.uint8)
        for i in numba.prange(count):
            if which == 0:
                a = np.zeros((nbytes,), np.uint8)
            elif which == 1:
                a = np.empty((nbytes,), np.uint8)
            else:
                a = calloc_zeros((nbytes,), np.uint8)
            last[i] = a[nbytes - 1]
        return last.sum()

    return allocate


_compiled: Dict[Tuple[str, str], Callable] = {}


def loop(path: str, mode: str) -> Callable:
    """The compiled loop `(nbytes, count)` that allocates `count` uint8 arrays of `nbytes` by
    `path`: parallel over a prange for mode 'prange', nogil for mode 'threads'."""
    if path not in _WHICH or mode not in ("prange", "threads"):
        raise KeyError(f"no threaded loop for {path!r} in mode {mode!r}")
    if (path, mode) == ("numba.empty", "prange"):
        raise NotImplementedError(
            "numba hoists np.empty out of a prange loop: it allocates once, not per iteration"
        )
    if mode == "prange" and not can_set_threads():
        raise NotImplementedError("this numba cannot set its thread count (numba 0.49 on)")
    key = (path, mode)
    if key not in _compiled:
        options = {"parallel": True} if mode == "prange" else {"nogil": True}
        func = _allocating_loop(_WHICH[path])
        _compiled[key] = cached_njit(func, mode, path.replace(".", "_"), **options)
        _compiled[key](4096, 2)
    return _compiled[key]


def can_set_threads() -> bool:
    """Whether this numba can change its thread count at run time (numba 0.49 on)."""
    return hasattr(numba, "set_num_threads")


def _prange_timer(allocate: Callable, nbytes: int, threads: int, count: int) -> Callable:
    def sample() -> float:
        numba.set_num_threads(threads)
        start = time.perf_counter()
        allocate(nbytes, count)
        return (time.perf_counter() - start) / count

    return sample


def _threads_timer(allocate: Callable, nbytes: int, threads: int, per_thread: int) -> Callable:
    def sample() -> float:
        barrier = threading.Barrier(threads + 1)

        def work() -> None:
            barrier.wait()
            allocate(nbytes, per_thread)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        start = time.perf_counter()
        barrier.wait()
        for worker in workers:
            worker.join()
        return (time.perf_counter() - start) / (threads * per_thread)

    return sample


def seconds_per_array_timer(path: str, mode: str, nbytes: int, threads: int) -> Callable:
    """A function that times one sample of `threads` threads allocating arrays of `nbytes`
    by `path` in `mode`, and returns the wall-clock seconds per array; each thread allocates
    enough arrays for the sample to last about 10 ms."""
    allocate = loop(path, mode)
    # Calibrated on the serial loop, so that starting prange's threads is not counted in.
    serial, trial = loop(path, "threads"), 8
    start = time.perf_counter()
    serial(nbytes, trial)
    one = (time.perf_counter() - start) / trial
    per_thread = max(1, min(100_000, math.ceil(SAMPLE_SECONDS / max(one, 1e-9))))
    if mode == "prange":
        return _prange_timer(allocate, nbytes, threads, per_thread * threads)
    return _threads_timer(allocate, nbytes, threads, per_thread)


def parallel_efficiency(
    path: str, mode: str, nbytes: int, threads: int, rounds: int = 9
) -> Dict[str, float]:
    """Seconds per array on one thread and with `threads`, and the parallel efficiency
    (median over rounds of one's time over the other's, divided by `threads`)."""
    one = seconds_per_array_timer(path, mode, nbytes, 1)
    many = seconds_per_array_timer(path, mode, nbytes, threads)
    one(), many()  # the thread pool started, the heap settled
    single, parallel, speedup = paired_ratio(one, many, rounds)
    if mode == "prange":
        numba.set_num_threads(cores())
    return {
        "one_thread_seconds": single,
        "seconds": parallel,
        "efficiency": speedup / threads,
    }
