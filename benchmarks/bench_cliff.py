"""Where the cliff is, to the byte: measured in fresh processes, predicted from glibc's rules,
bisected inside one long-lived process, and the same-process ratios
(`allocbench.harness.cliff`)."""

from allocbench.catalog import RATIO_SIZES, size_bytes, size_labels
from allocbench.harness import cliff

from .common import raise_if_skipped, skip_where_environment_does_nothing, with_attributes


def _locate(self):
    # Shared by every class: asv keys setup_cache by the function's source line, so the
    # measurement runs once per environment, not once per class.
    try:
        skip_where_environment_does_nothing()
        return cliff.locate()
    except NotImplementedError as exc:
        return str(exc)
    except cliff.NoCliff as exc:
        # An allocator without glibc's mmap threshold (macOS) has no such step: n/a, not wrong.
        return str(exc)


def _setup(self, figures, *params):
    raise_if_skipped(figures)


class _CliffSizes:
    """The two cliffs' bytes, as one kind (`size`) of the figures of `cliff.locate`."""

    timeout = 300
    setup_cache = _locate
    setup = _setup

    @staticmethod
    def size(step):
        """The figure of a `cliff.StepFigures` that this class tracks."""
        raise NotImplementedError

    @with_attributes(unit="bytes")
    def track_numpy_zeros_lazy_from(self, figures):
        """Smallest size (bytes) from which numpy's np.zeros hands out fresh, untouched pages."""
        return self.size(figures.numpy_zeros_lazy_from)

    @with_attributes(unit="bytes")
    def track_numba_zeros_faults_every_page_from(self, figures):
        """Smallest size (bytes) from which numba's np.zeros faults in every page it zeroes."""
        return self.size(figures.numba_zeros_faults_every_page_from)


class Cliff(_CliffSizes):
    """The sizes, to the byte, from which numpy's np.zeros stays lazy and from which numba's
    np.zeros faults in every page, each size probed in a fresh process that allocates only
    that size (as asv's one process per benchmark, or a fresh %timeit, does)."""

    version = "1"

    @staticmethod
    def size(step):
        return step.measured


def _setup_predicted(self, figures):
    _setup(self, figures)
    if figures.prediction_unavailable:
        raise NotImplementedError(figures.prediction_unavailable)


class CliffPredicted(_CliffSizes):
    """The same sizes as glibc malloc's rules predict them for this machine: its page size, its
    tunables, the heap a fresh process inherits, and the bytes each path asks for beyond the
    array (numpy none, numba its NRT header and alignment slack)."""

    version = "1"
    setup = _setup_predicted

    @staticmethod
    def size(step):
        return step.predicted


class CliffOneProcess(_CliffSizes):
    """The same sizes, to the page, bisected inside one long-lived process: what a process with
    that history sees, as every probe inherits the heap top and the mmap threshold that the
    probes before it left."""

    version = "1"

    @staticmethod
    def size(step):
        return step.one_process


class CliffRatio:
    """numba's np.zeros time over numpy's at fixed sizes, both measured in one process."""

    version = "1"

    params = [size_labels(RATIO_SIZES)]
    param_names = ["size"]
    timeout = 300
    setup_cache = _locate
    setup = _setup

    @with_attributes(unit="ratio")
    def track_numba_over_numpy(self, figures, size):
        """Median time of numba.zeros over median time of numpy.zeros, same process."""
        return figures.numba_over_numpy[size_bytes(size)]
