"""Allocation inside one compiled loop, without the @njit call boundary, over a control loop.

`allocbench.harness.inloop` does the work: numba's np.empty and np.zeros and allocbench.zeros
each allocate arrays of 8 B to 64 KiB in the body of one @njit loop, writing and reading back
one element of each, timed back to back with the same loop over an array made beforehand, on
the thread's CPU clock, until the median is steady (n/a "too noisy here" where it never is).
The history follows the ratio in every release; asv flags it.

Every figure proves its work first: where numba's runtime does not count one array per
iteration (the allocation hoisted out of the loop, or dropped), setup says why and asv shows
n/a instead of a number (`inloop.work_done`).
"""

from allocbench.catalog import (
    INLOOP_COUNTING_PATHS,
    INLOOP_COUNTING_SIZES,
    INLOOP_PATHS,
    INLOOP_SIZES,
    size_bytes,
    size_labels,
)
from allocbench.harness import inloop

from .common import skip_where_environment_does_nothing, with_attributes


def _measured(path, size, counting):
    """The in-loop ratio of `path` at `size`, after its work check (n/a where the loop does
    not allocate an array per iteration, or the environment's variant cannot apply)."""
    skip_where_environment_does_nothing()
    reason = inloop.work_done(path, size_bytes(size))
    if reason:
        raise NotImplementedError(reason)
    return inloop.ratio(path, size_bytes(size), counting=counting)


class InLoop:
    """Time per iteration of a loop allocating a uint8 array each iteration, over the same
    loop without the allocation, both in one process: the median of the rounds' ratios, each
    sample about 10 ms of the allocating loop's CPU time. Higher is worse."""

    version = "2"

    params = (list(INLOOP_PATHS), size_labels(INLOOP_SIZES))
    param_names = ("path", "size")
    timeout = 120

    def setup(self, path, size):
        self.figure = _measured(path, size, counting=False)

    @with_attributes(unit="ratio")
    def track_loop_over_control(self, path, size):
        """1.0: allocating costs nothing over the write and read; above 1, what it costs."""
        return self.figure.ratio


class InLoopCounting:
    """InLoop with numba's runtime counting every allocation and free (its statistics: atomic
    counters every thread shares), as every numba before 0.57 always does and later ones do
    when asked. Beside InLoop it says what the counting costs in each release: where the two
    agree, the release counts always or the counting costs nothing."""

    version = "1"

    params = (list(INLOOP_COUNTING_PATHS), size_labels(INLOOP_COUNTING_SIZES))
    param_names = ("path", "size")
    timeout = 120

    def setup(self, path, size):
        self.figure = _measured(path, size, counting=True)

    @with_attributes(unit="ratio")
    def track_loop_over_control_counting(self, path, size):
        """1.0: allocating, counted, costs nothing over the write and read; above 1, what it
        costs."""
        return self.figure.ratio
