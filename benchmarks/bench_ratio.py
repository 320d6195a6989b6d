"""Each compiled path's time over a numpy path doing the same work, in one process.

Timed alternately in one benchmark process (`allocbench.harness.sameprocess`), so what slows
the machine slows both, and the ratio moves only when numba's code does. These, with the
page-fault counts of `bench_memory.PageFaults`, are what the history's regression detection
watches; the absolute times of `bench_alloc` are there to read.
"""

from allocbench.catalog import CONTROL_SIZES, CONTROLS, size_bytes, size_labels
from allocbench.harness import sameprocess

from .common import skip_unless_fits, with_attributes


class OverControl:
    """Median time of the path over median time of its control (`allocbench.catalog.CONTROLS`),
    15 interleaved calls each after 3 settling calls, uint8 1-D."""

    params = (list(CONTROLS), size_labels(CONTROL_SIZES))
    param_names = ("path", "size")
    timeout = 300
    version = "1"

    def setup(self, path, size):
        nbytes = size_bytes(size)
        skip_unless_fits(nbytes)

    @with_attributes(unit="ratio")
    def track_over_control(self, path, size):
        """1.0: as fast as numpy doing the same work; above 1, slower."""
        nbytes = size_bytes(size)
        return sameprocess.ratio(path, CONTROLS[path], nbytes)["ratio"]
