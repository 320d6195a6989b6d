"""allocbench.zeros and zeros_like: np.zeros for @njit code that is as lazy as numpy's.

numba's np.zeros mallocs through its runtime and then writes a zero into every byte, so a
large array costs one page fault per 4 KiB page before it is ever used. numpy instead calls
calloc, which for large blocks hands out fresh mmap'd pages that the kernel already zeroes,
and advises the kernel to back arrays of 4 MiB and more with huge pages. These functions do
the same inside @njit code (allocbench.fix.codegen): calloc the memory, give it numpy's
huge-page advice, and hand its ownership to numba's runtime, so the array is freed when its
last reference (views included) dies.

Called from Python, they run a compiled function doing the same (allocbench.fix.entries), so
the memory is managed the same way wherever the array was made.

The dtype is numpy's exactly (byte order, datetime and timedelta units, record layout) for
every dtype numba can hold in an array: booleans, integers, float32/64, complex64/128,
datetime64/timedelta64 with a plain unit, sized bytes and str, and records of those. Any
other dtype is refused with a TypeError (a TypingError inside @njit code) that names it,
never silently replaced by a nearby one (allocbench.fix.dtypes).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from numba import types
from numba.extending import overload

from allocbench.fix.codegen import NO_MEMORY, calloc_intrinsic
from allocbench.fix.dims import ZEROS
from allocbench.fix.dtypes import (
    DTypeLike,
    array_element,
    none_or_omitted,
    numpy_dtype,
    refusal,
    storable,
)
from allocbench.fix.entries import entry_for
from allocbench.fix.shape import ShapeLike, intp_dims

#: (shape, itemsize, dtype) -> C-ordered array on calloc'ed, NRT-managed memory.
_zeros = ZEROS.allocator(calloc_intrinsic("C", NO_MEMORY))

#: numpy 1.18.5 reads zeros_like(a, shape=()) as no shape, a's own; 1.24 and 2.x as 0-d.
_EMPTY_SHAPE_IS_NONE = np.zeros_like(np.empty(1), shape=()).shape == (1,)


def zeros(shape: ShapeLike, dtype: DTypeLike = np.float64) -> np.ndarray:
    """A C-ordered array of zeros on calloc'ed memory, owned by numba's runtime.

    Callable from Python and inside @njit code; `shape` is an int or a sequence of ints (not
    bools: TypeError, as numpy), `dtype` anything np.dtype takes that numba arrays can hold
    (TypeError naming it otherwise). From Python, errors and strides are numpy's; inside @njit
    code, numba's own np.zeros's (see docs/fixes.md).
    """
    entry = entry_for(dtype)
    return entry(intp_dims(shape))


def zeros_like(
    a: object, dtype: Optional[DTypeLike] = None, shape: Optional[ShapeLike] = None
) -> np.ndarray:
    """A C-ordered array of zeros shaped like `a` (or `shape`), of its dtype (or `dtype`).

    `a` is an array or, from Python, anything np.asarray takes (a scalar, a nested list);
    inside @njit code an array or a scalar, as numba's np.zeros_like takes.
    """
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    if shape is None or (_EMPTY_SHAPE_IS_NONE and np.ndim(shape) == 1 and len(shape) == 0):
        shape = a.shape
    return zeros(shape, a.dtype if dtype is None else dtype)


@overload(zeros)
def _zeros_overload(shape, dtype=None):
    if ZEROS.ndim(shape) is None:
        return None
    element = array_element(dtype)
    if element is None:
        raise refusal("allocbench.zeros", dtype)
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize

    def impl(shape, dtype=None):
        return _zeros(shape, itemsize, np_dtype)

    return impl


#: What numba's np.zeros_like takes as a scalar (a 0-d array of its type), where storable.
_SCALARS = (
    types.Number,
    types.Boolean,
    types.NPDatetime,
    types.NPTimedelta,
    types.CharSeq,
    types.UnicodeCharSeq,
    types.Record,
)


@overload(zeros_like)
def _zeros_like_overload(a, dtype=None, shape=None):
    if isinstance(a, types.Array):
        own = a.dtype
    elif isinstance(a, _SCALARS):
        own = types.unliteral(a)
    else:
        return None
    if none_or_omitted(dtype):
        if not storable(own):
            raise refusal("allocbench.zeros_like", own)
        element = own
    else:
        element = array_element(dtype)
        if element is None:
            raise refusal("allocbench.zeros_like", dtype)
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize
    if not none_or_omitted(shape):
        if ZEROS.ndim(shape) is None:
            return None

        def shaped(a, dtype=None, shape=None):
            return _zeros(shape, itemsize, np_dtype)

        return shaped
    if not isinstance(a, types.Array):

        def scalar(a, dtype=None, shape=None):
            return _zeros((), itemsize, np_dtype)

        return scalar

    def impl(a, dtype=None, shape=None):
        return _zeros(a.shape, itemsize, np_dtype)

    return impl
