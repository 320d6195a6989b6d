"""Shapes as numpy takes them from Python: an int or a sequence of ints, checked as numpy does."""

from __future__ import annotations

import operator
from typing import Sequence, Tuple, Union

import numpy as np

Shape = Tuple[int, ...]
ShapeLike = Union[int, Sequence[int]]

_INTP = np.iinfo(np.intp)
MIN_INTP = int(_INTP.min)
MAX_INTP = int(_INTP.max)

#: numpy's message for a negative dimension (numba's own np.zeros drops the "are").
NEGATIVE = "negative dimensions are not allowed"


def _dimension(value: object, message: str) -> int:
    """One dimension as numpy converts it: bools (Python's and numpy's) and non-integers are a
    TypeError, an integer outside intp a ValueError."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(message)
    dim = operator.index(value)
    if not MIN_INTP <= dim <= MAX_INTP:
        raise ValueError("Maximum allowed dimension exceeded")
    return dim


def _plain(dim: object) -> bool:
    return type(dim) is int and MIN_INTP <= dim <= MAX_INTP


def intp_dims(shape: ShapeLike) -> Shape:
    """A tuple of Python ints in intp's range, converted as numpy converts a shape; the sizes
    themselves (negative, too big) are left for the allocation to check, as numpy does."""
    if _plain(shape):
        return (shape,)
    if type(shape) is tuple and all(map(_plain, shape)):
        return shape
    if np.ndim(shape) == 0:
        got = f"expected a sequence of integers or a single integer, got '{shape!r}'"
        try:
            return (_dimension(shape, got),)
        except TypeError:
            raise TypeError(got) from None
    return tuple(_dimension(d, "an integer is required") for d in shape)


def normalize_shape(shape: ShapeLike) -> Shape:
    """A tuple of Python ints; negative dimensions raise ValueError as numpy does."""
    dims = intp_dims(shape)
    if any(d < 0 for d in dims):
        raise ValueError(NEGATIVE)
    return dims
