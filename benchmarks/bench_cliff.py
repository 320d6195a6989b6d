"""Where the cliff is: bisected sizes and same-process ratios, from `allocbench.cliff`."""

from allocbench.catalog import RATIO_SIZES
from allocbench.harness import cliff

from .common import skip_where_tunables_do_nothing, with_attributes


def _locate(self):
    # Shared by both classes: asv keys setup_cache by the function's source line, so the
    # bisection runs once per environment, not once per class.
    try:
        skip_where_tunables_do_nothing()
        return cliff.locate()
    except NotImplementedError as exc:
        return {"skipped": str(exc)}
    except cliff.NoCliff as exc:
        # An allocator without glibc's mmap threshold (macOS) has no such step: n/a, not wrong.
        return {"skipped": str(exc)}


def _setup(self, figures, *params):
    if "skipped" in figures:
        raise NotImplementedError(figures["skipped"])


class Cliff:
    """The sizes, to within one page, from which numpy's np.zeros stays lazy and from which
    numba's np.zeros faults in every page, bisected inside one benchmark process; and the
    numba/numpy time ratio at fixed sizes, measured in that same process."""

    version = "1"

    timeout = 300
    setup_cache = _locate
    setup = _setup

    @with_attributes(unit="bytes")
    def track_numpy_zeros_lazy_from(self, figures):
        """Smallest size (bytes) from which numpy's np.zeros hands out fresh, untouched pages."""
        return figures["numpy_zeros_lazy_from"]

    @with_attributes(unit="bytes")
    def track_numba_zeros_faults_every_page_from(self, figures):
        """Smallest size (bytes) from which numba's np.zeros faults in every page it zeroes."""
        return figures["numba_zeros_faults_every_page_from"]


class CliffRatio:
    """numba's np.zeros time over numpy's at fixed sizes, both measured in one process."""

    version = "1"

    params = [list(RATIO_SIZES)]
    param_names = ["nbytes"]
    timeout = 300
    setup_cache = _locate
    setup = _setup

    @with_attributes(unit="ratio")
    def track_numba_over_numpy(self, figures, nbytes):
        """Median time of numba.zeros over median time of numpy.zeros, same process."""
        return figures["numba_over_numpy"][str(nbytes)]
