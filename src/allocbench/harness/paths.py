"""The allocation paths, bound: every way the suite gets a fresh array, ready to time.

``PATHS`` is the one registry the benchmarks, the measurements and the tests share; its names
and descriptions come from ``allocbench.catalog``. A path is bound to a (shape, dtype) once,
which compiles and warms any numba code with a one-element array of the same type, and then
called with no arguments to allocate.
"""

from __future__ import annotations

import functools
import math
from types import MappingProxyType
from typing import Callable, Dict, Mapping, Optional, Union

import numpy as np

from allocbench.catalog import FULL_VALUE, PATH_INFO, PathInfo
from allocbench.fix.shape import Shape, ShapeLike, normalize_shape

Alloc = Callable[[], np.ndarray]
Binder = Callable[[Shape, np.dtype], Alloc]


def shape_for(nbytes: int, dtype: str = "float64", ndim: int = 1) -> Shape:
    """C-order shape of `ndim` dimensions holding exactly `nbytes` of `dtype`.

    2-D shapes are as square as a power-of-two column count allows.
    """
    itemsize = np.dtype(dtype).itemsize
    if nbytes <= 0 or nbytes % itemsize:
        raise ValueError(f"{nbytes} bytes is not a positive multiple of {dtype}'s {itemsize}")
    n = nbytes // itemsize
    if ndim == 1:
        return (n,)
    if ndim == 2:
        cols = math.gcd(n, 2 ** int(math.log2(math.isqrt(n))))
        return (n // cols, cols)
    raise ValueError(f"ndim must be 1 or 2, not {ndim}")


class AllocationPath:
    """One way to get a fresh C-ordered array of a given shape and dtype."""

    def __init__(self, info: PathInfo, binder: Binder):
        self.info = info
        self._binder = binder

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def description(self) -> str:
        return self.info.description

    @property
    def value(self) -> Optional[int]:
        """What every element holds afterwards; None when memory is left uninitialised."""
        return self.info.value

    @property
    def library(self) -> str:
        """'numpy', 'numba', 'mixed' or 'allocbench': whose code allocates."""
        return self.info.library

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
        from allocbench.harness.kernels import kernel
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


#: The kernel (allocbench.harness.kernels) behind each path that runs compiled code.
KERNELS: Mapping[str, str] = {
    "numba.zeros": "zeros",
    "numba.empty": "empty",
    "numba.empty_loop": "empty_loop",
    "numba.empty_slice_fill": "empty_slice_fill",
    "numba.ones": "ones",
    "numba.full": "full",
    "numba.zeros_like": "zeros_like",
    "mixed.zeros_in": "passthrough",
    "mixed.objmode_zeros": "objmode_zeros",
    "allocbench.zeros": "allocbench_zeros",
}

_BINDERS: Dict[str, Binder] = {
    "numpy.zeros": _numpy(np.zeros),
    "numpy.empty": _numpy(np.empty),
    "numpy.ones": _numpy(np.ones),
    "numpy.full": _numpy(np.full, FULL_VALUE),
    "numpy.zeros_like": _numpy_zeros_like,
    "numba.zeros_like": _numba_zeros_like,
    "mixed.zeros_in": _mixed_zeros_in,
}
_BINDERS.update({name: _numba(kind) for name, kind in KERNELS.items() if name not in _BINDERS})

#: Every allocation path of the catalog, bound to its code, in the catalog's order.
PATHS: Mapping[str, AllocationPath] = MappingProxyType(
    {name: AllocationPath(info, _BINDERS[name]) for name, info in PATH_INFO.items()}
)
