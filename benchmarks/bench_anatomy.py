"""A per-call path split into its parts, in CPU seconds: the call, unboxing, boxing, the
allocation and the fill.

`allocbench.harness.anatomy` does the work: each part is the difference of two @njit kernels
that differ in that part alone, timed alternately in one process on the thread's CPU clock
until both medians are steady (n/a "too noisy here" where they never are). Every part proves
its work first: the called kernels return what their argument makes them return and make no
array, the loops make one per iteration, np.zeros's loop fills the whole block; where a
release elides the work, setup says why and asv shows n/a.

The history tracks every part in every release, so that a step in a per-call figure can be
split into the part that moved. Absolute CPU times differ by machine: asv does not flag them.
"""

from allocbench.catalog import ANATOMY_PARTS, ANATOMY_SIZES, size_bytes, size_labels
from allocbench.harness import anatomy

from .common import skip_where_environment_does_nothing, with_attributes


class Anatomy:
    """CPU seconds per operation of one part of a per-call path at a uint8 array's size: the
    median over rounds of the difference between two kernels timed back to back. Not clamped:
    a part can be negative where the subtracted kernel costs more."""

    version = "1"

    params = (list(ANATOMY_PARTS), size_labels(ANATOMY_SIZES))
    param_names = ("part", "size")
    timeout = 120

    def setup(self, part, size):
        skip_where_environment_does_nothing()
        self.figure = anatomy.measure_part(part, size_bytes(size))

    @with_attributes(unit="seconds")
    def track_seconds(self, part, size):
        """call: one Python call of @njit code; unbox, box: an array argument's unboxing and a
        returned array's boxing; alloc, fill: np.empty and np.zeros's fill, per iteration."""
        return self.figure.seconds
