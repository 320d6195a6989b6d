"""The compiled functions behind allocbench.zeros called from Python, one per dtype.

Each is kept in memory by dtype and named apart in numba's disk cache. An entry takes a tuple
of ints, checks it as numpy checks a shape and strides a zero-size array as the running numpy
does, so from Python errors and strides are numpy's.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable, Dict, Tuple

import numpy as np

from allocbench.fix.advice import advice_name
from allocbench.fix.codegen import NO_MEMORY, calloc_intrinsic, numpy_zero_size_strides
from allocbench.fix.dims import PYTHON
from allocbench.fix.dtypes import DTypeLike, element_for
from allocbench.fix.njit import cached_njit

#: How the running numpy strides zero-size arrays, which calls from Python reproduce.
_ZERO_SIZE = numpy_zero_size_strides()
_zeros = PYTHON.allocator(calloc_intrinsic("C", NO_MEMORY, _ZERO_SIZE))

_entries: Dict[object, Callable] = {}
_compiled: Dict[Tuple[object, ...], Callable] = {}
#: The key of dtypes that are not remembered as given (see _fast_key).
_UNREMEMBERED = object()


def entry_for(dtype: DTypeLike) -> Callable:
    """The compiled entry for `dtype`, (tuple of ints in intp's range) -> array; TypeError for
    a dtype numba arrays cannot hold exactly."""
    try:
        return _entries[_fast_key(dtype)]
    except KeyError:
        return _compile(dtype)


def _fast_key(dtype: DTypeLike) -> object:
    """The key that remembers `dtype` as given, where that cannot be confused with another:
    a name or a class always means one dtype; a dtype object is keyed by its ``str`` (byte
    order and unit included), except records and dtypes with metadata, which numpy's == and
    ``str`` do not tell apart from others."""
    if isinstance(dtype, np.dtype):
        return dtype.str if dtype.fields is None and dtype.metadata is None else _UNREMEMBERED
    return dtype if isinstance(dtype, (str, type)) else _UNREMEMBERED


def _identity(dt: np.dtype) -> Tuple[object, ...]:
    return (dt.str, str(dt.descr), dt.isalignedstruct, repr(dt.metadata or None))


def _cache_name(dt: np.dtype) -> str:
    """Part of the entry's qualified name (its disk-cache index): readable, one per dtype."""
    name = re.sub(r"\W", "", dt.str)
    if dt.fields is not None:
        name += "_" + hashlib.sha1(repr(_identity(dt)).encode()).hexdigest()[:12]
    return name


def _entry(constant: np.dtype, itemsize: int) -> Callable:
    def entry(shape):
        return _zeros(shape, itemsize, constant)

    return entry


def _compile(dtype: DTypeLike) -> Callable:
    dt = np.dtype(dtype)
    element_for(dt)
    key = _identity(dt)
    if key not in _compiled:
        # The dtype is a constant of each entry (see allocbench.fix.njit); the advice and
        # numpy's zero-size strides are compiled in: a cache entry for each choice.
        _compiled[key] = cached_njit(
            _entry(dt, dt.itemsize), _cache_name(dt), advice_name(), _ZERO_SIZE
        )
    fast = _fast_key(dtype)
    if fast is not _UNREMEMBERED:
        _entries[fast] = _compiled[key]
    return _compiled[key]
