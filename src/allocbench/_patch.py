"""allocbench.patch_numba_zeros: numba's own np.zeros and np.zeros_like, calloc-backed.

A run-time switch, off until asked for: ``allocbench.patch_numba_zeros()``, or the
environment variable ``ALLOCBENCH_PATCH_NUMBA_ZEROS=1``, which allocbench's
``numba_extensions`` entry point reads before numba compiles anything (allocbench must be
installed for numba to find that entry point). Importing allocbench never applies it.

How: numba tries the overloads of a function most target-specific first, so an
``@overload(np.zeros, target="cpu")`` is tried before numba's own, generic-target one, and a
typing function that returns None hands the call on to numba's. The overloads here take every
call whose array type, errors and values they reproduce exactly, and build the array with
allocbench.zeros's intrinsic (calloc, numpy's huge-page advice, the memory owned by numba's
runtime), so a large np.zeros no longer writes every page. Everything else falls through to
numba: dtypes numba arrays cannot hold (float16, unsized bytes/str, ...), shapes of IntEnum
members, array subclasses (which may allocate their own way), non-literal dtype strings.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import Optional

import numpy as np
from numba import types
from numba.extending import intrinsic, register_jitable

from allocbench import _zeros
from allocbench._extension import ENV_VAR

#: The first numba that orders overloads by target (numba.core.target_extension, 0.54.0) and
#: takes ``target=`` on @overload; before it numba's own np.zeros is always tried first.
MIN_NUMBA = (0, 54)

#: numba's own message where its runtime cannot allocate an array.
_NUMBA_NO_MEMORY = "Allocation failed (probably too large)."
_calloc_c = _zeros.calloc_intrinsic("C", _NUMBA_NO_MEMORY)
_calloc_f = _zeros.calloc_intrinsic("F", _NUMBA_NO_MEMORY)

#: numba 0.56 made np.zeros an @overload that reads an explicit None or ``float`` dtype as
#: float64 (and np.zeros_like an explicit None as the array's own); before it, only an
#: omitted dtype was, and those spellings are typing errors, which are left to numba.
_EXPLICIT_DEFAULTS = _zeros._numba_version() >= (0, 56)

_lock = threading.Lock()
_active = False
_INTP_BITS = types.intp.bitwidth


def patch_numba_zeros() -> bool:
    """Make np.zeros and np.zeros_like calloc-backed in every @njit function compiled from now
    on; returns whether the switch is active (True). Calling it again does nothing more.

    Same array types (dtype, ndim, C or F layout), values, errors and NRT ownership as numba's
    own for every call it takes; the data is aligned as calloc aligns it (16 bytes on glibc,
    like numpy's arrays) rather than numba's 32.

    It cannot reach:

    * functions compiled before it is called, and those loaded from numba's disk cache
      (``cache=True``): the cache does not know about the switch, so code cached without it
      keeps numba's np.zeros (and code cached with it keeps calloc);
    * np.zeros in ``parallel=True`` functions where numba's parfors rewrite it into np.empty
      plus a parallel loop writing the zeros (whenever the shape is known there): that loop
      still writes every page, in parallel; np.zeros_like is not rewritten and is reached;
    * numba before 0.54, where @overload takes no ``target=`` and an overload of np.zeros is
      tried only after numba's own: NotImplementedError there (0.48.0 and 0.53.1 checked).
      Tested on numba 0.54.1 and 0.55.2 (np.zeros a typing template there, not yet an
      @overload: the cpu-target overload still comes first), 0.56.4, 0.57.1 and 0.68.1;
    * other targets (CUDA and the like): the overloads are the cpu target's.
    """
    global _active
    with _lock:
        if not _active:
            _register()
            _active = True
    return _active


def is_active() -> bool:
    """Whether the switch is on in this process."""
    return _active


def apply_from_environment() -> bool:
    """Apply the switch where ``ALLOCBENCH_PATCH_NUMBA_ZEROS`` is "1" (numba's entry point
    calls this); on a numba it cannot work on, a warning instead of an error."""
    if os.environ.get(ENV_VAR) != "1":
        return False
    try:
        return patch_numba_zeros()
    except NotImplementedError as error:
        warnings.warn(f"{ENV_VAR}=1 ignored: {error}", RuntimeWarning, stacklevel=2)
        return False


def _register() -> None:
    version = _zeros._numba_version()
    if version < MIN_NUMBA:
        raise NotImplementedError(
            "allocbench.patch_numba_zeros needs numba >= 0.54 (overloads tried by target, "
            f"@overload(target=...)); numba {'.'.join(map(str, version))} always tries its "
            "own np.zeros first. allocbench.zeros works on it."
        )
    from numba.extending import overload

    overload(np.zeros, target="cpu")(_np_zeros)
    overload(np.zeros_like, target="cpu")(_np_zeros_like)


# -- typing: which calls are taken ----------------------------------------------------------


def _ndim(shape) -> Optional[int]:
    """The ndim numba's np.zeros gives `shape` (an integer, or a tuple of integers no wider
    than intp); None for everything else, IntEnum members included."""
    if isinstance(shape, types.Integer):
        return 1
    if isinstance(shape, (types.Tuple, types.UniTuple)) and all(
        isinstance(d, types.Integer) and d.bitwidth <= _INTP_BITS for d in shape
    ):
        return len(shape)
    return None


def _omitted(dtype) -> bool:
    return dtype is None or dtype is float or isinstance(dtype, types.Omitted)


def _explicit_default(dtype) -> bool:
    """An explicit None or ``float`` as the dtype: see _EXPLICIT_DEFAULTS."""
    is_float = isinstance(dtype, types.Function) and getattr(dtype, "typing_key", None) is float
    return isinstance(dtype, types.NoneType) or is_float


def _zeros_element(dtype):
    """The element type of np.zeros(shape, dtype), or None where it is not taken."""
    if _explicit_default(dtype) and not _EXPLICIT_DEFAULTS:
        return None
    return _zeros.array_element(dtype)


def _like_element(a, dtype):
    """The element type of np.zeros_like(a, dtype), or None where it is not taken."""
    explicit_none = isinstance(dtype, types.NoneType)
    if explicit_none and not _EXPLICIT_DEFAULTS:
        return None
    if not (_omitted(dtype) or explicit_none):
        return _zeros.array_element(dtype)
    element = a.dtype if isinstance(a, types.Array) else a
    return element if _zeros.storable(element) else None


def _like_layout(a):
    """The layout numba's np.zeros_like gives an array like `a`, or None where not taken."""
    if not isinstance(a, types.Array):
        return "C"  # a scalar: a 0-d array
    if type(a) is not types.Array:
        return None  # a subclass may allocate its own way (Array._allocate)
    return a.layout if a.layout != "A" else "C"


def _np_zeros(shape, dtype=float):
    element = _zeros_element(dtype)
    if element is None or _ndim(shape) is None:
        return None
    np_dtype = _zeros.numpy_dtype(element)
    itemsize = np_dtype.itemsize

    def impl(shape, dtype=float):
        dims = _numba_dims(shape)
        return _calloc_c(dims, _numba_nbytes(dims, itemsize), np_dtype)

    return impl


def _np_zeros_like(a, dtype=None):
    element = _like_element(a, dtype)
    layout = _like_layout(a)
    if element is None or layout is None:
        return None
    np_dtype = _zeros.numpy_dtype(element)
    itemsize = np_dtype.itemsize
    if not isinstance(a, types.Array):

        def scalar_impl(a, dtype=None):
            return _calloc_c((), itemsize, np_dtype)

        return scalar_impl
    expected = types.Array(element, a.ndim, layout)
    if a.copy(dtype=element, layout=layout, readonly=False) != expected:
        return None  # numba would give another array type (unaligned, say): its own
    calloc = _calloc_c if layout == "C" else _calloc_f

    def impl(a, dtype=None):
        return calloc(a.shape, _numba_nbytes(a.shape, itemsize), np_dtype)

    return impl


# -- the shape, converted and checked as numba converts and checks it -----------------------


@intrinsic
def _numba_dims(typingctx, shape):
    """`shape` as a tuple of intp, as numba's np.empty converts it: an integer cast to intp,
    a tuple's narrower integers sign-extended (numba does so for unsigned ones too, so a
    tuple holding uint8 200 is negative there, and here)."""
    ndim = _ndim(shape)
    if ndim is None:
        return None
    result = types.UniTuple(types.intp, ndim)

    def codegen(context, builder, sig, args):
        intp = context.get_value_type(types.intp)
        if isinstance(shape, types.Integer):
            dims = [context.cast(builder, args[0], shape, types.intp)]
        else:
            dims = [builder.extract_value(args[0], i) for i in range(ndim)]
            dims = [builder.sext(d, intp) if d.type.width < intp.width else d for d in dims]
        return context.make_tuple(builder, result, dims)

    return result(shape), codegen


@register_jitable
def _numba_nbytes(dims, itemsize):
    for dim in dims:
        if dim < 0:
            raise ValueError("negative dimensions not allowed")
    return _zeros.overflow_checked_nbytes(dims, itemsize)
