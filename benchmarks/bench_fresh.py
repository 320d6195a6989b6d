"""First call in a fresh process against the steady state of the same call.

glibc's mmap threshold is dynamic (128 KiB at start, raised to each freed mmap'd block's size
up to 32 MiB), so the first large allocation of a process is served differently from the
hundredth. The figures come from `allocbench.harness.fresh`, which measures every (path, size) in
freshly forked children of a clean interpreter, three times, and keeps the medians.
"""

from allocbench.catalog import FRESH_SIZES, size_bytes, size_labels
from allocbench.harness import fresh

from .common import (
    HEADLINE_PATHS,
    raise_if_skipped,
    skip_where_environment_does_nothing,
    with_attributes,
)


class FreshProcess:
    """Time and page faults of the first call in a process and of the settled calls after it."""

    version = "1"

    params = (HEADLINE_PATHS, size_labels(FRESH_SIZES))
    param_names = ("path", "size")
    timeout = 300

    def setup_cache(self):
        try:
            skip_where_environment_does_nothing()
        except NotImplementedError as exc:
            return str(exc)
        records = fresh.measure(HEADLINE_PATHS, FRESH_SIZES, repeats=3)
        return {(r.path, r.nbytes): r for r in records}

    def setup(self, figures, path, size):
        raise_if_skipped(figures)
        record = figures.get((path, size_bytes(size)))
        if record is None:
            raise NotImplementedError("not measured: the size does not fit in memory")
        self.record = record

    @with_attributes(unit="seconds")
    def track_first_call_seconds(self, figures, path, size):
        """Seconds taken by the first call in a fresh process."""
        return self.record.first_seconds

    @with_attributes(unit="seconds")
    def track_steady_seconds(self, figures, path, size):
        """Seconds per call once the allocator has settled (median of 3, after 2 settling calls)."""
        return self.record.steady_seconds

    @with_attributes(unit="faults")
    def track_first_call_faults(self, figures, path, size):
        """Minor page faults taken by the first call in a fresh process."""
        return self.record.first_faults

    @with_attributes(unit="faults")
    def track_steady_faults(self, figures, path, size):
        """Minor page faults per call once the allocator has settled."""
        return self.record.steady_faults
