"""The dtypes numba arrays hold, and numpy's exact dtype for each.

From Python and as typed inside @njit code, where an omitted dtype, None and ``float`` mean
float64 (``omitted``, ``explicit_none``, ``explicit_float``: the switch tells them apart).
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np
from numba import types

try:
    from numba.core.errors import TypingError
except ImportError:  # numba < 0.49
    from numba.errors import TypingError
try:
    from numba.np import numpy_support
except ImportError:  # numba < 0.49
    from numba import numpy_support

DTypeLike = Union[str, np.dtype, type, list, dict, tuple]

_SUPPORTED = (
    "numba arrays hold native-byte-order bool, integers, float32/64, complex64/128, "
    "datetime64/timedelta64 with a plain unit, sized bytes/str, and records of those"
)
_PLAIN = (types.Boolean, types.Integer, types.Complex, types.NPDatetime, types.NPTimedelta)


def storable(element: types.Type, in_record: bool = False) -> bool:
    """Whether numba arrays can hold `element` (float16 has no lowering; an unsized bytes or
    str type is not numpy's np.zeros dtype; a sub-array type only inside a record)."""
    if isinstance(element, types.Float):
        return element.bitwidth in (32, 64)
    if isinstance(element, _PLAIN):
        return True
    if isinstance(element, (types.CharSeq, types.UnicodeCharSeq)):
        return element.count > 0
    if isinstance(element, types.NestedArray):
        return in_record and storable(element.dtype, in_record)
    if isinstance(element, types.Record):
        return all(storable(t, in_record=True) for _, t in element.members)
    return False


def omitted(arg: object) -> bool:
    """An argument not given, as an overload sees it: its own default (None or ``float``)
    or numba's Omitted."""
    return arg is None or arg is float or isinstance(arg, types.Omitted)


def explicit_none(arg: object) -> bool:
    """None given explicitly, as typed inside @njit code."""
    return isinstance(arg, types.NoneType)


def explicit_float(arg: object) -> bool:
    """The builtin ``float`` given as a dtype, as typed inside @njit code (float64)."""
    return isinstance(arg, types.Function) and getattr(arg, "typing_key", None) is float


def none_or_omitted(arg: object) -> bool:
    """An argument not given, or None given explicitly."""
    return omitted(arg) or explicit_none(arg)


def _from_string(text: str) -> Optional[types.Type]:
    try:
        return numpy_support.from_dtype(np.dtype(text))
    except Exception:  # numpy's TypeError, numba's NotImplementedError: not a dtype here
        return None


def array_element(dtype: object) -> Optional[types.Type]:
    """numba's element type for a dtype argument as typed inside @njit code (omitted, None or
    ``float``: float64; np.float64, np.dtype(...), a numba type, a string literal), or None
    where that is not a dtype numba arrays can hold."""
    if omitted(dtype) or explicit_none(dtype) or explicit_float(dtype):
        return types.float64
    if isinstance(dtype, types.DTypeSpec):
        element = dtype.dtype
    elif isinstance(dtype, types.TypeRef):
        element = dtype.instance_type
    elif isinstance(dtype, types.StringLiteral):
        element = _from_string(dtype.literal_value)
    else:
        return None
    return element if element is not None and storable(element) else None


def numpy_dtype(element: types.Type) -> np.dtype:
    """numpy's dtype for a storable element type: a constant that @njit code types back to
    the same element type, units and record layout included."""
    return numpy_support.as_dtype(element)


def _identical(a: np.dtype, b: np.dtype) -> bool:
    """Equal as numpy's == is, and also in what == overlooks: the byte-order spelling, field
    titles, the aligned-struct flag and metadata (where empty metadata is none: numba boxes
    datetime arrays with an empty mapping under numpy 1.x)."""
    return (
        a == b
        and a.str == b.str
        and a.descr == b.descr
        and a.isalignedstruct == b.isalignedstruct
        and (a.metadata or None) == (b.metadata or None)
    )


def element_for(dtype: DTypeLike) -> types.Type:
    """numba's element type for a dtype given from Python, whose array dtype is exactly
    np.dtype(dtype); TypeError naming the dtype where numba arrays cannot hold it."""
    dt = np.dtype(dtype)  # numpy's own TypeError for what is no dtype at all
    try:
        element = numpy_support.from_dtype(dt)
    except Exception:  # numba's NotImplementedError for byte order, float128, ...
        element = None
    if element is None or not storable(element) or not _identical(numpy_dtype(element), dt):
        extra = f" with metadata {dt.metadata!r}" if dt.metadata else ""
        raise TypeError(f"allocbench.zeros: dtype {dt!r}{extra} is not supported: {_SUPPORTED}")
    return element


def refusal(caller: str, dtype: object) -> TypingError:
    """The typing error for a dtype numba arrays cannot hold, inside @njit code."""
    return TypingError(f"{caller}: dtype {dtype} is not supported: {_SUPPORTED}")
