"""The allocation paths: every way the suite gets a fresh array, by a stable name.

``PATHS`` is the one registry the benchmarks, the tests and ``allocbench paths`` share. A path
is bound to a (shape, dtype) once, which compiles and warms any numba code with a one-element
array of the same type, and then called with no arguments to allocate.
"""

from __future__ import annotations

import functools
import operator
from collections import OrderedDict
from types import MappingProxyType
from typing import Callable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

Shape = Tuple[int, ...]
ShapeLike = Union[int, Sequence[int]]
Alloc = Callable[[], np.ndarray]
Binder = Callable[[Shape, np.dtype], Alloc]

#: The value the numpy.full and numba.full paths write.
FULL_VALUE = 0


def normalize_shape(shape: ShapeLike) -> Shape:
    """A tuple of Python ints; negative dimensions raise ValueError as numpy does."""
    dims = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    dims = tuple(operator.index(d) for d in dims)
    if any(d < 0 for d in dims):
        raise ValueError("negative dimensions are not allowed")
    return dims


class AllocationPath:
    """One way to get a fresh C-ordered array of a given shape and dtype."""

    def __init__(self, name: str, description: str, value: Optional[int], binder: Binder):
        self.name = name
        self.description = description
        #: What every element holds afterwards; None when the path leaves memory uninitialised.
        self.value = value
        self._binder = binder

    @property
    def library(self) -> str:
        """'numpy', 'numba', 'mixed' or 'allocbench': whose code allocates."""
        return self.name.split(".", 1)[0]

    def bind(self, shape: ShapeLike, dtype: Union[str, np.dtype, type] = "float64") -> Alloc:
        """A no-argument allocator for this shape and dtype, compiled and ready to time."""
        return self._binder(normalize_shape(shape), np.dtype(dtype))

    def __call__(
        self, shape: ShapeLike, dtype: Union[str, np.dtype, type] = "float64"
    ) -> np.ndarray:
        return self.bind(shape, dtype)()

    def __repr__(self) -> str:
        return f"<AllocationPath {self.name}>"


def _numpy(func: Callable, *args) -> Binder:
    def bind(shape: Shape, dtype: np.dtype) -> Alloc:
        return functools.partial(func, shape, *args, dtype)

    return bind


def _numpy_zeros_like(shape: Shape, dtype: np.dtype) -> Alloc:
    return functools.partial(np.zeros_like, np.empty(shape, dtype))


def _kernel(kind: str, dtype: np.dtype, ndim: int) -> Callable:
    try:
        from allocbench.kernels import kernel
    except ImportError as exc:
        raise NotImplementedError(f"numba is not importable: {exc}") from None
    return kernel(kind, dtype.name, ndim)


def _numba(kind: str) -> Binder:
    def bind(shape: Shape, dtype: np.dtype) -> Alloc:
        fn = _kernel(kind, dtype, len(shape))
        fn((1,) * len(shape))
        return functools.partial(fn, shape)

    return bind


def _numba_zeros_like(shape: Shape, dtype: np.dtype) -> Alloc:
    fn = _kernel("zeros_like", dtype, len(shape))
    fn(np.empty((1,) * len(shape), dtype))
    return functools.partial(fn, np.empty(shape, dtype))


def _mixed_zeros_in(shape: Shape, dtype: np.dtype) -> Alloc:
    fn = _kernel("passthrough", dtype, len(shape))
    fn(np.zeros((1,) * len(shape), dtype))
    return lambda: fn(np.zeros(shape, dtype))


def _registry(*paths: AllocationPath) -> Mapping[str, AllocationPath]:
    return MappingProxyType(OrderedDict((p.name, p) for p in paths))


PATHS: Mapping[str, AllocationPath] = _registry(
    AllocationPath("numpy.zeros", "np.zeros from Python: calloc", 0, _numpy(np.zeros)),
    AllocationPath("numpy.empty", "np.empty from Python: malloc, no fill", None, _numpy(np.empty)),
    AllocationPath("numpy.ones", "np.ones from Python: empty + fill", 1, _numpy(np.ones)),
    AllocationPath(
        "numpy.full", "np.full(shape, 0) from Python", FULL_VALUE, _numpy(np.full, FULL_VALUE)
    ),
    AllocationPath(
        "numpy.zeros_like", "np.zeros_like of an existing array, from Python", 0, _numpy_zeros_like
    ),
    AllocationPath("numba.zeros", "np.zeros inside @njit", 0, _numba("zeros")),
    AllocationPath("numba.empty", "np.empty inside @njit, no fill", None, _numba("empty")),
    AllocationPath(
        "numba.empty_loop",
        "np.empty + nested-loop fill with 0 inside @njit (the seed's numba_loop)",
        0,
        _numba("empty_loop"),
    ),
    AllocationPath(
        "numba.empty_slice_fill",
        "np.empty + a[:] = 0 inside @njit",
        0,
        _numba("empty_slice_fill"),
    ),
    AllocationPath("numba.ones", "np.ones inside @njit", 1, _numba("ones")),
    AllocationPath("numba.full", "np.full(shape, 0) inside @njit", FULL_VALUE, _numba("full")),
    AllocationPath(
        "numba.zeros_like",
        "np.zeros_like of an existing array, inside @njit",
        0,
        _numba_zeros_like,
    ),
    AllocationPath(
        "mixed.zeros_in",
        "np.zeros in Python, passed into an @njit function (the seed's mixed_numba1)",
        0,
        _mixed_zeros_in,
    ),
    AllocationPath(
        "mixed.objmode_zeros",
        "np.zeros inside numba.objmode within an @njit function",
        0,
        _numba("objmode_zeros"),
    ),
    AllocationPath(
        "allocbench.zeros",
        "allocbench.zeros inside @njit: calloc + numpy's huge-page advice, owned by numba's NRT",
        0,
        _numba("allocbench_zeros"),
    ),
)

#: The paths worth repeating for other dtypes, 2-D shapes and fresh processes.
HEADLINE_PATHS = (
    "numpy.zeros",
    "numpy.empty",
    "numba.zeros",
    "numba.empty",
    "mixed.zeros_in",
    "allocbench.zeros",
)
