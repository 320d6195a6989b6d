"""allocbench.zeros against numpy's np.zeros and numba's, timed in one process, interleaved.

The fix's targets are ratios close to 1 (within 1.5x of numpy's np.zeros for allocation
alone, within 1.1x once every element is written), and this machine's drift between two
separately timed benchmarks is larger than that margin. These ratios come from
`allocbench.harness.sameprocess`, which times the two paths alternately in one process.
"""

from allocbench.catalog import (
    ADVICE_SIZES,
    INSIDE_NJIT_SIZES,
    USE_SIZES,
    MiB,
    size_bytes,
    size_labels,
)
from allocbench.harness import sameprocess

from .common import raise_unless_done, ratio_or_na, skip_unless_fits, with_attributes


class FixAgainstNumpy:
    """allocbench.zeros time over numpy.zeros time (uint8, 1-D), same process."""

    version = "2"

    params = (size_labels(USE_SIZES), ["alone", "write"])
    param_names = ("size", "use")
    timeout = 300

    def setup(self, size, use):
        nbytes = size_bytes(size)
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_allocbench_over_numpy(self, size, use):
        """Median of the two timed back to back, round after round (`sameprocess.ratio`); 1.0 is
        numpy's speed, below 1 is faster."""
        nbytes = size_bytes(size)
        return ratio_or_na(
            lambda: sameprocess.ratio("allocbench.zeros", "numpy.zeros", nbytes, use == "write")
        )


class FixAgainstNumba:
    """numba's np.zeros time over allocbench.zeros time, allocation alone, same process."""

    version = "2"

    params = (size_labels(ADVICE_SIZES),)
    param_names = ("size",)
    timeout = 300

    def setup(self, size):
        nbytes = size_bytes(size)
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_numba_over_allocbench(self, size):
        """How many times faster allocbench.zeros allocates than np.zeros inside @njit."""
        nbytes = size_bytes(size)
        return sameprocess.ratio("numba.zeros", "allocbench.zeros", nbytes, rounds=7).ratio


class FixInsideNjit:
    """allocbench.zeros where it is meant to be used: many allocations inside one @njit
    loop, per array, over numpy's np.zeros called from a Python loop, per array. The
    single-call benchmarks above charge every numba path the @njit call boundary (about a
    microsecond), which dominates below 1 MiB."""

    version = "1"

    params = (size_labels(INSIDE_NJIT_SIZES), ["alone", "write"])
    param_names = ("size", "use")
    timeout = 300

    def setup(self, size, use):
        nbytes = size_bytes(size)
        skip_unless_fits(nbytes)
        raise_unless_done(sameprocess.inside_njit_work_done(nbytes, True, use == "write"))

    @with_attributes(unit="ratio")
    def track_allocbench_in_njit_over_numpy(self, size, use):
        """Median seconds per array of each, 7 interleaved rounds; below 1 is faster."""
        nbytes = size_bytes(size)
        calls = 200 if nbytes < MiB else 20
        return sameprocess.inside_njit_ratio(nbytes, calls, write=use == "write").ratio


class NumbaZerosOverNumpy:
    """np.zeros inside @njit over numpy's np.zeros (uint8, 1-D), same process: with stock
    numba the slowdown itself, with the run-time switch or the patched numba the fix's
    target (within 1.5x alone, 1.1x with every element written). The history runs it where
    numba's np.zeros is fixed."""

    version = "2"

    params = (size_labels(USE_SIZES), ["alone", "write"])
    param_names = ("size", "use")
    timeout = 600

    def setup(self, size, use):
        skip_unless_fits(size_bytes(size))
        raise_unless_done(
            sameprocess.inside_njit_work_done(size_bytes(size), False, use == "write")
        )

    @with_attributes(unit="ratio")
    def track_numba_zeros_over_numpy(self, size, use):
        """One @njit call per array, timed back to back with numpy's, round after round (median
        ratio, `sameprocess.ratio`); 1.0 is numpy's speed.
        Below 1 MiB this charges np.zeros numba's call boundary (about a microsecond)."""
        nbytes = size_bytes(size)
        return ratio_or_na(
            lambda: sameprocess.ratio("numba.zeros", "numpy.zeros", nbytes, use == "write")
        )

    @with_attributes(unit="ratio")
    def track_numba_zeros_in_njit_over_numpy(self, size, use):
        """np.zeros allocating inside one @njit loop, per array, over numpy's np.zeros from a
        Python loop, per array: where it is used, without the call boundary."""
        nbytes = size_bytes(size)
        calls = max(1, min(200, (64 * MiB) // nbytes))
        return sameprocess.inside_njit_ratio(nbytes, calls, write=use == "write", fix=False).ratio
