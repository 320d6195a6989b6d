"""Each compiled path's time over a numpy path doing the same work, in one process.

Timed back to back, round after round, in one benchmark process
(`allocbench.harness.sameprocess.ratio`), so what slows the machine slows both, and the ratio
moves only when numba's code does. These, with the page-fault counts of
`bench_memory.PageFaults`, are what the history's regression detection watches; the absolute
times of `bench_alloc` are there to read.
"""

from allocbench.catalog import CONTROL_SIZES, CONTROLS, size_bytes, size_labels
from allocbench.harness import sameprocess

from .common import skip_unless_fits, with_attributes


class OverControl:
    """Time of the path over time of its control (`allocbench.catalog.CONTROLS`), uint8 1-D:
    the median of the per-round ratios, each sample long enough for the clock (5 ms), 5 to 41
    rounds. The process gets no transparent huge pages meanwhile: numpy advises them for its
    large arrays and numba's runtime does not, so otherwise the ratio would follow how many
    huge pages the kernel has free at the moment, not numba's code."""

    params = (list(CONTROLS), size_labels(CONTROL_SIZES))
    param_names = ("path", "size")
    timeout = 300
    version = "2"

    def setup(self, path, size):
        skip_unless_fits(size_bytes(size))

    @with_attributes(unit="ratio")
    def track_over_control(self, path, size):
        """1.0: as fast as numpy doing the same work; above 1, slower."""
        nbytes = size_bytes(size)
        return sameprocess.ratio(path, CONTROLS[path], nbytes, huge_pages=False).ratio
