"""Allocation from several threads at once: a prange loop, or nogil functions in threads.

`allocbench.harness.threads` does the work. The history follows `ThreadScaling`, the time on
every core over perfect scaling (a same-process ratio, so the machine's noise moves both of
its times alike); `ThreadedAlloc`'s seconds per array at 1, 2 and all cores are there to read.

Every figure proves its work first: where the loop does not allocate (and, for numba.zeros,
write) one array per iteration, as when numba hoists an allocation out of a prange loop, setup
says why and asv shows n/a instead of a number (`threads.work_done`).
"""

from allocbench import load
from allocbench.catalog import (
    THREAD_COUNTS,
    THREAD_MODES,
    THREAD_PATHS,
    THREAD_SIZES,
    size_bytes,
    size_labels,
)
from allocbench.harness import threads

from .common import OneRound, skip_unless_fits, with_attributes


def skip_unless_work_done(path, mode, nbytes):
    """Raise NotImplementedError (asv shows n/a) where the loop would not allocate one array
    per iteration, saying why."""
    reason = threads.work_done(path, mode, nbytes)
    if reason:
        raise NotImplementedError(reason)


class ThreadedAlloc(OneRound):
    """Wall-clock seconds per array while 1, 2 or every core allocate uint8 arrays at once,
    median of 5 samples of about 10 ms each."""

    # 2: one array per iteration in every release (the allocation in a separate @njit
    # function, checked in setup); numba.empty in prange measured instead of n/a.
    version = "2"

    params = (list(THREAD_PATHS), list(THREAD_MODES), list(THREAD_COUNTS),
              size_labels(THREAD_SIZES))  # fmt: skip
    param_names = ("path", "mode", "threads", "size")
    timeout = 300

    def setup(self, path, mode, count, size):
        nbytes, workers = size_bytes(size), threads.thread_count(count)
        skip_unless_fits(nbytes, copies=2 * workers)
        skip_unless_work_done(path, mode, nbytes)
        self.sample = threads.seconds_per_array_timer(path, mode, nbytes, workers)
        self.sample()

    @with_attributes(unit="seconds")
    def track_seconds_per_array(self, path, mode, count, size):
        """Seconds of wall-clock time per array allocated (and one element read)."""
        return sorted(self.sample() for _ in range(5))[2]


class ThreadScaling:
    """How far allocation on every core falls short of scaling: seconds per array with every
    core allocating, over one thread's seconds per array divided by the core count (the
    inverse of the parallel efficiency), median of 9 rounds timed back to back. 1.0: the cores
    allocate that many times as fast as one; the core count: no faster than one thread.
    Higher is worse, as asv reads every figure it flags. Wall-clock times need every core to
    itself: where other processes used the cores meanwhile, n/a with how much
    (`load.cores_not_idle`)."""

    # 3: one array per iteration in every release (version 2's prange loop had numba hoist
    # the allocation out of it), checked in setup. 4: measured in setup, n/a on busy cores.
    version = "4"

    params = (list(THREAD_PATHS), list(THREAD_MODES), size_labels(THREAD_SIZES))
    param_names = ("path", "mode", "size")
    timeout = 300

    def setup(self, path, mode, size):
        if threads.cores() < 2:
            raise NotImplementedError("this process may use one core only")
        skip_unless_fits(size_bytes(size), copies=2 * threads.cores())
        threads.loop(path, mode)
        skip_unless_work_done(path, mode, size_bytes(size))
        watch = load.Watch()
        figures = threads.parallel_efficiency(path, mode, size_bytes(size), threads.cores())
        busy = load.cores_not_idle(watch.load())
        if busy:
            raise NotImplementedError(busy)
        self.figure = 1 / figures.efficiency

    @with_attributes(unit="ratio")
    def track_time_over_ideal(self, path, mode, size):
        """1.0: perfect scaling; the core count: no faster than one thread."""
        return self.figure
