"""Time every allocation path across sizes: the allocation alone, then with first use."""

from allocbench.sizes import ALLOC_SIZES, LAYOUT_SIZES, USE_SIZES

from .common import HEADLINE_PATHS, PATH_NAMES, bind


class Alloc:
    """Getting a fresh 1-D float64 array and dropping it: the seed's `%timeit pure_numba(n)`.

    No element is read or written, so a lazily zeroed allocation (numpy's calloc above the
    mmap threshold) costs almost nothing here: its page faults are paid later, by whoever
    touches the memory. Compare with AllocAndWrite before drawing conclusions.
    """

    params = (PATH_NAMES, list(ALLOC_SIZES))
    param_names = ("path", "nbytes")
    rounds = 1
    repeat = (3, 10, 1.0)
    warmup_time = 0.05

    def setup(self, path, nbytes):
        self.alloc = bind(path, nbytes)

    def time_alloc(self, path, nbytes):
        """One call of the path; the array is freed when the call returns."""
        self.alloc()


class AllocAndWrite:
    """Getting a fresh 1-D float64 array and then writing every element once.

    This is the fair comparison: memory handed out lazily is paid for on first touch, one
    page fault per page, so a path that zeroes eagerly and one that zeroes lazily should
    end up close once the array is used.
    """

    params = (PATH_NAMES, list(USE_SIZES))
    param_names = ("path", "nbytes")
    rounds = 1
    repeat = (5, 10, 2.0)
    warmup_time = 0.05

    def setup(self, path, nbytes):
        self.alloc = bind(path, nbytes)

    def time_alloc_and_write(self, path, nbytes):
        """One call of the path, then `a.fill(1)` over the whole array."""
        self.alloc().fill(1)


class Layout:
    """Other dtypes and 2-D shapes, for the headline paths at three sizes.

    The cost of zeroing depends on bytes, not elements: these confirm that float32, int64,
    uint8 and 2-D C-ordered float64 follow the 1-D float64 figures at the same byte size.
    """

    params = (HEADLINE_PATHS, ["float32", "int64", "uint8", "float64 2-D"], list(LAYOUT_SIZES))
    param_names = ("path", "layout", "nbytes")
    rounds = 1
    repeat = (3, 10, 1.0)
    warmup_time = 0.05

    def setup(self, path, layout, nbytes):
        dtype, _, dims = layout.partition(" ")
        self.alloc = bind(path, nbytes, dtype, ndim=2 if dims == "2-D" else 1)

    def time_alloc(self, path, layout, nbytes):
        """One call of the path."""
        self.alloc()

    def time_alloc_and_write(self, path, layout, nbytes):
        """One call of the path, then `a.fill(1)`."""
        self.alloc().fill(1)
