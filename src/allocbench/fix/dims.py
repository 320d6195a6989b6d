"""Shapes inside @njit code: which are taken, as a tuple of intp, and their size checked.

One reading, made three times: ``ZEROS`` as allocbench.zeros reads a shape inside @njit code,
``PYTHON`` as its compiled entries for calls from Python do (numpy's checks), ``NUMBA`` as
numba's own np.zeros does (for the switch). Each reading's ``allocator`` puts the shape and
its size in bytes in front of an allocation of allocbench.fix.codegen.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple, Type

from numba import types
from numba.extending import intrinsic, register_jitable

from allocbench.fix.shape import MAX_INTP, NEGATIVE

#: numba's own message for a negative dimension.
_NUMBA_NEGATIVE = "negative dimensions not allowed"
_TOO_BIG = (
    "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size."
)


@register_jitable
def _overflow_checked_nbytes(shape, itemsize):
    """The array's size in bytes; numpy's (and numba's) ValueError where it overflows."""
    n = 1
    for dim in shape:
        if dim != 0 and n > MAX_INTP // dim:
            raise ValueError(_TOO_BIG)
        n *= dim
    if n > MAX_INTP // itemsize:
        raise ValueError(_TOO_BIG)
    return n * itemsize


@register_jitable
def _numpy_nbytes(shape, itemsize):
    """The array's size in bytes, checked as numpy checks it: one pass over the dimensions in
    order, zeros skipped, a negative one or a running product of the others and the itemsize
    beyond intp a ValueError (so (2**62, -1) float64 is too big, (-1, 2**62) negative, and
    (2**62, 0) too big although it holds nothing)."""
    nbytes = itemsize
    empty = False
    for dim in shape:
        if dim == 0:
            empty = True
        elif dim < 0:
            raise ValueError(NEGATIVE)
        elif nbytes > MAX_INTP // dim:
            raise ValueError(_TOO_BIG)
        else:
            nbytes *= dim
    return 0 if empty else nbytes


def _checked_nbytes(negative: str) -> Callable:
    @register_jitable
    def checked_nbytes(shape, itemsize):
        for dim in shape:
            if dim < 0:
                raise ValueError(negative)
        return _overflow_checked_nbytes(shape, itemsize)

    return checked_nbytes


class ShapeReading:
    """How one np.zeros reads its shape inside @njit code, and checks it.

    ``ndim(shape)`` is the ndim of a shape argument it takes (an integer, or one of `tuples`
    of integers no wider than `widest` bits), else None; ``dims`` an intrinsic making that a
    tuple of intp, an integer cast as numba casts it and a tuple's narrower integers
    sign-extended (unsigned ones too) where `sign_extend` says so, else cast; `nbytes` a
    jitable (dims, itemsize) -> the size in bytes, checked.
    """

    def __init__(
        self,
        name: str,
        tuples: Tuple[Type[types.Type], ...],
        widest: Optional[int],
        sign_extend: bool,
        nbytes: Callable,
    ) -> None:
        self._tuples = tuples
        self._widest = widest
        self.dims = _dims_intrinsic(name, self.ndim, sign_extend)
        self.nbytes = nbytes

    def ndim(self, shape: types.Type) -> Optional[int]:
        """The ndim of `shape` where this reading takes it, else None."""
        if isinstance(shape, types.Integer):
            return 1
        if isinstance(shape, self._tuples) and all(map(self._dimension, shape)):
            return len(shape)
        return None

    def _dimension(self, dim: types.Type) -> bool:
        return isinstance(dim, types.Integer) and (
            self._widest is None or dim.bitwidth <= self._widest
        )

    def allocator(self, calloc: Callable) -> Callable:
        """A jitable (shape, itemsize, dtype) -> array: the shape read and its size checked
        here, the array made by `calloc`, an intrinsic (dims, nbytes, dtype) -> array (see
        allocbench.fix.codegen)."""
        dims_of, nbytes_of = self.dims, self.nbytes

        @register_jitable
        def allocate(shape, itemsize, dtype):
            dims = dims_of(shape)
            return calloc(dims, nbytes_of(dims, itemsize), dtype)

        return allocate


def _dims_intrinsic(name: str, ndim_of: Callable, sign_extend: bool):
    def intp_dims(typingctx, shape):
        ndim = ndim_of(shape)
        if ndim is None:
            return None
        result = types.UniTuple(types.intp, ndim)

        def codegen(context, builder, sig, args):
            if isinstance(shape, types.Integer):
                dims = [context.cast(builder, args[0], shape, types.intp)]
            else:
                dims = [
                    _widen(context, builder, builder.extract_value(args[0], i), shape[i])
                    for i in range(ndim)
                ]
            return context.make_tuple(builder, result, dims)

        return result(shape), codegen

    def _widen(context, builder, dim, dim_type):
        if not sign_extend:
            return context.cast(builder, dim, dim_type, types.intp)
        intp = context.get_value_type(types.intp)
        return builder.sext(dim, intp) if dim.type.width < intp.width else dim

    intp_dims.__name__ = f"intp_dims_{name}"
    return intrinsic(intp_dims)


_ANY_TUPLE = (types.BaseTuple,)
#: allocbench.zeros inside @njit code: any tuple of integers, each cast to intp; numpy's
#: message for a negative dimension, numba's order of checks.
ZEROS = ShapeReading("zeros", _ANY_TUPLE, None, False, _checked_nbytes(NEGATIVE))
#: allocbench.zeros from Python (a tuple of ints in intp's range): checked as numpy checks.
PYTHON = ShapeReading("python", _ANY_TUPLE, None, False, _numpy_nbytes)
#: numba's own np.zeros, for the switch: plain tuples of integers no wider than intp, each
#: sign-extended; numba's message and checks.
NUMBA = ShapeReading(
    "numba",
    (types.Tuple, types.UniTuple),
    types.intp.bitwidth,
    True,
    _checked_nbytes(_NUMBA_NEGATIVE),
)
