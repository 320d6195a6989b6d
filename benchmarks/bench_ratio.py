"""Each compiled path's time over a numpy path doing the same work, in one process.

Timed back to back on the thread's CPU clock, round after round until the median is steady,
in one benchmark process (`allocbench.harness.sameprocess.ratio`), so a neighbour that takes
the core or slows the machine moves neither, and the ratio moves only when numba's code does;
a ratio whose rounds never agree within 5% is n/a "too noisy here", with its spread. These,
with the page-fault counts of `bench_memory.PageFaults`, are what the history's regression
detection watches; the absolute times of `bench_alloc` are there to read.
"""

from allocbench.catalog import CONTROL_SIZES, CONTROLS, size_bytes, size_labels
from allocbench.harness import sameprocess

from .common import skip_unless_fits, with_attributes


class OverControl:
    """Time of the path over time of its control (`allocbench.catalog.CONTROLS`), uint8 1-D:
    the median of the per-round ratios, each sample long enough for the clock (5 ms of CPU),
    5 to 41 rounds. The process gets no transparent huge pages meanwhile: numpy advises them for its
    large arrays and numba's runtime does not, so otherwise the ratio would follow how many
    huge pages the kernel has free at the moment, not numba's code."""

    params = (list(CONTROLS), size_labels(CONTROL_SIZES))
    param_names = ("path", "size")
    timeout = 300
    version = "3"

    def setup(self, path, size):
        nbytes = size_bytes(size)
        skip_unless_fits(nbytes)
        self.figure = sameprocess.ratio(path, CONTROLS[path], nbytes, huge_pages=False)

    @with_attributes(unit="ratio")
    def track_over_control(self, path, size):
        """1.0: as fast as numpy doing the same work; above 1, slower."""
        return self.figure.ratio
