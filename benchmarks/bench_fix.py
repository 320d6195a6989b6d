"""allocbench.zeros against numpy's np.zeros and numba's, timed in one process, interleaved.

The fix's targets are ratios close to 1 (within 1.5x of numpy's np.zeros for allocation
alone, within 1.1x once every element is written), and this machine's drift between two
separately timed benchmarks is larger than that margin. These ratios come from
`allocbench.harness.sameprocess`, which times the two paths alternately in one process.
"""

from allocbench.catalog import ADVICE_SIZES, INSIDE_NJIT_SIZES, USE_SIZES, MiB
from allocbench.harness import sameprocess

from .common import skip_unless_fits, with_attributes


class FixAgainstNumpy:
    """allocbench.zeros time over numpy.zeros time (uint8, 1-D), same process."""

    version = "1"

    params = (list(USE_SIZES), ["alone", "write"])
    param_names = ("nbytes", "use")
    timeout = 300

    def setup(self, nbytes, use):
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_allocbench_over_numpy(self, nbytes, use):
        """Median of 15 interleaved calls each; 1.0 is numpy's speed, below 1 is faster."""
        return sameprocess.ratio("allocbench.zeros", "numpy.zeros", nbytes, use == "write")["ratio"]


class FixAgainstNumba:
    """numba's np.zeros time over allocbench.zeros time, allocation alone, same process."""

    version = "1"

    params = (list(ADVICE_SIZES),)
    param_names = ("nbytes",)
    timeout = 300

    def setup(self, nbytes):
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_numba_over_allocbench(self, nbytes):
        """How many times faster allocbench.zeros allocates than np.zeros inside @njit."""
        return sameprocess.ratio("numba.zeros", "allocbench.zeros", nbytes, calls=7)["ratio"]


class FixInsideNjit:
    """allocbench.zeros where it is meant to be used: many allocations inside one @njit
    loop, per array, over numpy's np.zeros called from a Python loop, per array. The
    single-call benchmarks above charge every numba path the @njit call boundary (about a
    microsecond), which dominates below 1 MiB."""

    version = "1"

    params = (list(INSIDE_NJIT_SIZES), ["alone", "write"])
    param_names = ("nbytes", "use")
    timeout = 300

    def setup(self, nbytes, use):
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_allocbench_in_njit_over_numpy(self, nbytes, use):
        """Median seconds per array of each, 7 interleaved rounds; below 1 is faster."""
        calls = 200 if nbytes < MiB else 20
        return sameprocess.inside_njit_ratio(nbytes, calls, write=use == "write")["ratio"]
