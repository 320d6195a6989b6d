"""The seed question's own code (shared/seed/000), timed as its author timed it."""

from allocbench.harness import seed

from .common import OneRound, skip_unless_fits


class SeedQuestion(OneRound):
    """The question's three functions: np.zeros((n, n)) from Python, inside @jit(nopython=True),
    and from Python passed into a jitted function. On a Mac with numba 0.48 at n=10000 the
    author saw 4.96 us, 344 ms and 3.8 us.
    """

    version = "1"

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

    version = "1"

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
