"""Time every allocation path across sizes: the allocation alone, then with first use."""

from allocbench.catalog import (
    ADVICE_PATHS,
    ADVICE_SIZES,
    ALLOC_SIZES,
    LAYOUT_SIZES,
    LAYOUTS,
    USE_SIZES,
    size_bytes,
    size_labels,
)
from allocbench.fix.advice import numpy_advice_switch

from .common import HEADLINE_PATHS, PATH_NAMES, OneRound, bind

#: numpy's own switch for its huge-page advice (numpy 1.20 on; moved in numpy 2).
_set_madvise_hugepage = numpy_advice_switch()


class Alloc(OneRound):
    """Getting a fresh 1-D float64 array and dropping it: the seed's `%timeit pure_numba(n)`.

    No element is read or written, so a lazily zeroed allocation (numpy's calloc above the
    mmap threshold) costs almost nothing here: its page faults are paid later, by whoever
    touches the memory. Compare with AllocAndWrite before drawing conclusions.
    """

    version = "2"

    params = (PATH_NAMES, size_labels(ALLOC_SIZES))
    param_names = ("path", "size")

    def setup(self, path, size):
        nbytes = size_bytes(size)
        self.alloc = bind(path, nbytes)

    def time_alloc(self, path, size):
        """One call of the path; the array is freed when the call returns."""
        self.alloc()


class AllocAndWrite(OneRound):
    """Getting a fresh 1-D float64 array and then writing every element once.

    This is the fair comparison: memory handed out lazily is paid for on first touch, one
    page fault per page, so a path that zeroes eagerly and one that zeroes lazily should
    end up close once the array is used.
    """

    version = "2"

    params = (PATH_NAMES, size_labels(USE_SIZES))
    param_names = ("path", "size")
    # Five or more samples: the 256 MiB numba/numpy ratio is read from this benchmark.
    repeat = (5, 10, 2.0)

    def setup(self, path, size):
        nbytes = size_bytes(size)
        self.alloc = bind(path, nbytes)

    def time_alloc_and_write(self, path, size):
        """One call of the path, then `a.fill(1)` over the whole array."""
        self.alloc().fill(1)


class Layout(OneRound):
    """Other dtypes and 2-D shapes, for the headline paths at three sizes.

    The cost of zeroing depends on bytes, not elements: these confirm that float32, int64,
    uint8 and 2-D C-ordered float64 follow the 1-D float64 figures at the same byte size.
    """

    version = "2"

    params = (HEADLINE_PATHS, list(LAYOUTS), size_labels(LAYOUT_SIZES))
    param_names = ("path", "layout", "size")

    def setup(self, path, layout, size):
        nbytes = size_bytes(size)
        dtype, _, dims = layout.partition(" ")
        self.alloc = bind(path, nbytes, dtype, ndim=2 if dims == "2-D" else 1)

    def time_alloc(self, path, layout, size):
        """One call of the path."""
        self.alloc()

    def time_alloc_and_write(self, path, layout, size):
        """One call of the path, then `a.fill(1)`."""
        self.alloc().fill(1)


class HugePageAdvice(OneRound):
    """Allocation + first use with numpy's transparent-huge-page advice on and off.

    numpy calls madvise(MADV_HUGEPAGE) on its own allocations of 4 MiB and more, so where
    the kernel's THP mode is `madvise` its arrays fault in 2 MiB at a time; numba's runtime
    allocates with plain malloc and faults 4 KiB at a time. Turning numpy's advice off
    (numpy's own switch, `_set_madvise_hugepage`) shows how much of the gap after first use
    is page size rather than zeroing. The numba paths do not read the switch: they are the
    control.
    """

    version = "2"

    params = (list(ADVICE_PATHS), ["on", "off"], size_labels(ADVICE_SIZES))
    param_names = ("path", "numpy_advice", "size")

    def setup(self, path, numpy_advice, size):
        nbytes = size_bytes(size)
        if _set_madvise_hugepage is None:
            raise NotImplementedError("this numpy has no _set_madvise_hugepage switch")
        self.alloc = bind(path, nbytes)
        self.previous = _set_madvise_hugepage(numpy_advice == "on")

    def teardown(self, path, numpy_advice, size):
        _set_madvise_hugepage(self.previous)

    def time_alloc_and_write(self, path, numpy_advice, size):
        """One call of the path, then `a.fill(1)`."""
        self.alloc().fill(1)
