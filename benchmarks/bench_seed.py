"""The seed question's own code (shared/seed/000), timed as its author timed it."""

from allocbench.catalog import SWEEP_NS
from allocbench.harness import seed, sweep

from .common import (
    OneRound,
    raise_if_skipped,
    skip_unless_fits,
    skip_where_environment_does_nothing,
    with_attributes,
)


class SeedQuestion(OneRound):
    """The question's three functions: np.zeros((n, n)) from Python, inside @jit(nopython=True),
    and from Python passed into a jitted function. On a Mac with numba 0.48 at n=10000 the
    author saw 4.96 us, 344 ms and 3.8 us.
    """

    version = "2"

    params = [1000, 2000, 5000, 10000]
    param_names = ["n"]

    def setup(self, n):
        skip_unless_fits(8 * n * n)
        seed.compile_all()

    def time_pure_python(self, n):
        """np.zeros((n, n)) in Python, reshaped to 1-D."""
        seed.pure_python(n)

    def time_pure_numba(self, n):
        """np.zeros((n, n)) inside @jit(nopython=True), reshaped to 1-D."""
        seed.pure_numba(n)

    def time_mixed_numba1(self, n):
        """np.zeros((n, n)) in Python, passed into a jitted function that reshapes it."""
        seed.mixed_numba1(n)


class SeedPlot(OneRound):
    """The answer's plot script around its 32 MB line: 2048 x 2048 float64 is exactly 32 MiB.

    numba_loop fills a (2n, n) float32 array, the same number of bytes, in a nested loop.
    """

    version = "2"

    params = [1000, 2000, 2047, 2048, 2100, 4100]
    param_names = ["n"]

    def setup(self, n):
        skip_unless_fits(8 * n * n)
        seed.compile_all()

    def time_numpy_zeros(self, n):
        """np.zeros((n, n)) in Python."""
        seed.numpy_zeros(n)

    def time_numba_zeros(self, n):
        """np.zeros((n, n)) inside @jit(nopython=True)."""
        seed.numba_zeros(n)

    def time_numba_loop(self, n):
        """np.empty((2n, n), float32) filled with zeros by a nested loop inside @jit."""
        seed.numba_loop(n)


class SeedSweep:
    """The seed's figure: its three functions at 105 sizes from 0 to 127 MiB (n from 0 to
    4080), timed alternately at each size in one process (`allocbench.harness.sweep`), median
    of 3 calls each. Graph it with n as the x-axis: 2048 is 32 MiB, where numba's np.zeros
    leaves numpy's behind."""

    version = "1"

    params = [list(SWEEP_NS)]
    param_names = ["n"]
    timeout = 600

    def setup_cache(self):
        try:
            skip_where_environment_does_nothing()
        except NotImplementedError as exc:
            return str(exc)
        return sweep.sweep(SWEEP_NS)

    def setup(self, figures, n):
        raise_if_skipped(figures)

    @with_attributes(unit="seconds")
    def track_numpy_zeros(self, figures, n):
        """np.zeros((n, n)) from Python, reshaped: the seed's 'Numpy zeros (calloc)'."""
        return figures.numpy_zeros[SWEEP_NS.index(n)]

    @with_attributes(unit="seconds")
    def track_numba_zeros(self, figures, n):
        """The same inside @jit(nopython=True): the seed's 'Numba zeros'."""
        return figures.numba_zeros[SWEEP_NS.index(n)]

    @with_attributes(unit="seconds")
    def track_numba_loop(self, figures, n):
        """np.empty((2n, n), float32) + a nested loop writing zeros: 'Numba nested loop'."""
        return figures.numba_loop[SWEEP_NS.index(n)]
