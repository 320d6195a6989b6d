"""Allocation from several threads at once: inside a prange loop, or from Python threads.

numba's runtime counted every allocation and free in counters that all threads share (numba
issue 8101; from 0.57 only when asked), and arrays above glibc's mmap threshold are mapped and
faulted in by each thread under the process's one memory map. Either can make N threads
allocate no faster than one.
Two ways of getting there are measured: `prange`, an ``@njit(parallel=True)`` loop whose
every iteration allocates an array, with numba's thread count set to N; and `threads`, N
Python threads each calling an ``@njit(nogil=True)`` loop that allocates arrays.

The figure the history follows is the parallel efficiency: the time per array on one thread
over the time per array with N threads, divided by N (1.0: N threads allocate N times as
fast), both timed back to back in one process, round after round.

Each iteration calls a separate @njit function that makes the array. Written inline in a
prange body, the allocation is hoisted out of the loop by numba's parfor pass, one per
thread's chunk, in every release measured from 0.48 to 0.68; 0.49 to 0.53 also dropped the
zero-fill, so their figure timed waking threads for a task of microseconds; from 0.54 each
thread wrote its one hoisted array over and over (at 64 MiB, where a sample gives each thread
one iteration, that happened to be an array per iteration). The call is opaque to that pass,
so every iteration allocates. `work_done` proves it where it runs: numba's runtime counts the arrays
a loop allocates, and for numba.zeros above glibc's mmap threshold the page faults show that
every array was written.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Optional, Tuple

import numba
import numpy as np

from allocbench.catalog import MMAP_THRESHOLD_MAX, format_size
from allocbench.fix.njit import cached_njit
from allocbench.fix.zeros import zeros as calloc_zeros
from allocbench.harness.measure import paired_ratio
from allocbench.harness.nrt import allocations_counted, counted
from allocbench.harness.probes import malloc_in_use, minor_faults

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


# One array per call, made where numba's parfor pass cannot see it: a call to another
# dispatcher is opaque to it, so it is neither hoisted out of a prange loop nor dropped.
# Module globals, not closure cells: numba keys a cached closure on its pickled cells, and a
# dispatcher pickles with a fresh uuid in every process, so the cache would never be hit.
@numba.njit(cache=True)
def _numba_zeros(nbytes):
    return np.zeros((nbytes,), np.uint8)


@numba.njit(cache=True)
def _numba_empty(nbytes):
    return np.empty((nbytes,), np.uint8)


@numba.njit(cache=True)
def _allocbench_zeros(nbytes):
    return calloc_zeros((nbytes,), np.uint8)


def _allocating_loop(which: int) -> Callable:
    # numba.prange is a plain range where the function is not compiled with parallel=True.
    def allocate(nbytes, count):
        last = np.zeros(count, np.uint8)
        for i in numba.prange(count):
            if which == 0:
                a = _numba_zeros(nbytes)
            elif which == 1:
                a = _numba_empty(nbytes)
            else:
                a = _allocbench_zeros(nbytes)
            last[i] = a[nbytes - 1]
        return last.sum()

    return allocate


_compiled: Dict[Tuple[str, str], Callable] = {}


def loop(path: str, mode: str) -> Callable:
    """The compiled loop `(nbytes, count)` that allocates `count` uint8 arrays of `nbytes` by
    `path`: parallel over a prange for mode 'prange', nogil for mode 'threads'."""
    if path not in _WHICH or mode not in ("prange", "threads"):
        raise KeyError(f"no threaded loop for {path!r} in mode {mode!r}")
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


#: The work check calls a loop for this many iterations and for twice as many: the arrays
#: and page faults of the second call over the first are the loop's own, whatever a call
#: allocates once (its result, a parfor's reduction) or faults once.
CHECK_ITERATIONS = 4

_checked: Dict[Tuple[str, str, int], Optional[str]] = {}


@contextlib.contextmanager
def _one_thread(mode: str) -> Iterator[None]:
    """numba's thread count set to one within the block for mode 'prange': numba hoists an
    allocation into each thread's chunk, so on one thread a hoisted one is made once a call."""
    if mode != "prange" or not can_set_threads():
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _faults_per_zeros(nbytes: int) -> int:
    """Page faults of one numba np.zeros of `nbytes` made on its own (the fewest of two calls,
    after one that settles the heap): what writing every page of an array costs here."""
    _numba_zeros(nbytes)
    counts = []
    for _ in range(2):
        before = minor_faults()
        array = _numba_zeros(nbytes)
        counts.append(minor_faults() - before)
        del array
    return min(counts)


def _pages_are_evidence(path: str, nbytes: int) -> bool:
    """Whether page faults show that each array was written: numba's np.zeros writes every
    page, and glibc maps every block above its largest mmap threshold afresh. allocbench.zeros
    (calloc) touches one page; another malloc may hand back pages it already touched."""
    return path == "numba.zeros" and nbytes > MMAP_THRESHOLD_MAX and malloc_in_use() == "glibc"


def work_done(
    path: str, mode: str, nbytes: int, allocate: Optional[Callable] = None
) -> Optional[str]:
    """None where the loop allocates one array per iteration, else why not, for an n/a.

    `allocate` (default: `loop(path, mode)`) is called for `CHECK_ITERATIONS` iterations and
    for twice as many, on one thread: numba's runtime must count at least one more array per
    extra iteration, and for numba.zeros above glibc's mmap threshold (under glibc) the extra
    arrays must fault at least half the pages one numba.zeros of `nbytes` faults on its own,
    so that a loop whose zero-fill was optimised away fails too."""
    key = (path, mode, nbytes)
    if allocate is None and key in _checked:
        return _checked[key]
    try:
        call = allocate if allocate is not None else loop(path, mode)
    except NotImplementedError as reason:
        return str(reason)
    where = "a prange loop" if mode == "prange" else "a loop"
    few, many = CHECK_ITERATIONS, 2 * CHECK_ITERATIONS
    with _one_thread(mode), allocations_counted() as allocated:
        call(nbytes, 1)
        counts = []
        for iterations in (few, many):
            arrays, faults = allocated(), minor_faults()
            call(nbytes, iterations)
            counts.append((allocated() - arrays, minor_faults() - faults))
    (arrays_few, faults_few), (arrays_many, faults_many) = counts
    reason = None
    if arrays_many - arrays_few < many - few:
        reason = (f"numba {numba.__version__} hoists the allocation out of {where}, or drops "
                  f"it: {counted(arrays_many, 'allocation')} for {many} iterations of {path} "
                  f"({arrays_few} for {few})")  # fmt: skip
    elif _pages_are_evidence(path, nbytes):
        expected = _faults_per_zeros(nbytes)
        faults = faults_many - faults_few
        if faults < (many - few) * expected // 2:
            reason = (f"numba {numba.__version__} leaves the arrays of {path} in {where} "
                      f"unwritten (its zero-fill optimised away): {counted(faults, 'page fault')} "
                      f"for {many - few} more arrays of {format_size(nbytes)}, where one made "
                      f"on its own takes {expected}")  # fmt: skip
    if allocate is None:
        _checked[key] = reason
    return reason


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


@dataclass(frozen=True)
class Efficiency:
    """Seconds per array on one thread and with several, and the parallel efficiency."""

    one_thread_seconds: float
    seconds: float
    efficiency: float


def parallel_efficiency(
    path: str, mode: str, nbytes: int, threads: int, rounds: int = 9
) -> Efficiency:
    """Seconds per array on one thread and with `threads`, and the parallel efficiency
    (median over rounds of one's time over the other's, divided by `threads`)."""
    one = seconds_per_array_timer(path, mode, nbytes, 1)
    many = seconds_per_array_timer(path, mode, nbytes, threads)
    one(), many()  # the thread pool started, the heap settled
    single, parallel, speedup = paired_ratio(one, many, rounds)
    if mode == "prange":
        numba.set_num_threads(cores())
    return Efficiency(one_thread_seconds=single, seconds=parallel, efficiency=speedup / threads)
