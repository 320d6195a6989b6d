"""Shapes as numpy takes them: an int or a sequence of ints, checked as numpy checks them."""

from __future__ import annotations

import operator
from typing import Sequence, Tuple, Union

import numpy as np

Shape = Tuple[int, ...]
ShapeLike = Union[int, Sequence[int]]


def normalize_shape(shape: ShapeLike) -> Shape:
    """A tuple of Python ints; negative dimensions raise ValueError as numpy does."""
    dims = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    dims = tuple(operator.index(d) for d in dims)
    if any(d < 0 for d in dims):
        raise ValueError("negative dimensions are not allowed")
    return dims
