"""allocbench.patch_numba_zeros: numba's own np.zeros and np.zeros_like, calloc-backed.

A run-time switch, off until asked for: ``allocbench.patch_numba_zeros()``, or the
environment variable ``ALLOCBENCH_PATCH_NUMBA_ZEROS=1`` (allocbench.fix.environment), which
allocbench's ``numba_extensions`` entry point reads before numba compiles anything (allocbench
must be installed for numba to find that entry point). Importing allocbench never applies it.

How: numba tries the overloads of a function most target-specific first, so an
``@overload(np.zeros, target="cpu")`` is tried before numba's own, generic-target one, and a
typing function that returns None hands the call on to numba's. The overloads here take every
call whose array type, errors and values they reproduce exactly, reading the shape as numba
does (allocbench.fix.dims.NUMBA), and build the array as allocbench.zeros does
(allocbench.fix.codegen: calloc, numpy's huge-page advice, the memory owned by numba's
runtime), so a large np.zeros no longer writes every page. Everything else falls through to
numba: dtypes numba arrays cannot hold (float16, unsized bytes/str, ...), shapes of IntEnum
members, array subclasses (which may allocate their own way), non-literal dtype strings.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
from numba import types

from allocbench.fix.codegen import calloc_intrinsic
from allocbench.fix.dims import NUMBA
from allocbench.fix.dtypes import (
    array_element,
    explicit_float,
    explicit_none,
    none_or_omitted,
    numpy_dtype,
    storable,
)
from allocbench.fix.environment import SWITCH_VARIABLE, switch_requested
from allocbench.fix.versions import numba_version

#: The first numba that orders overloads by target (numba.core.target_extension, 0.54.0) and
#: takes ``target=`` on @overload; before it numba's own np.zeros is always tried first.
MIN_NUMBA = (0, 54)

#: numba's own message where its runtime cannot allocate an array.
_NUMBA_NO_MEMORY = "Allocation failed (probably too large)."
#: (shape, itemsize, dtype) -> an array of each layout, the shape read as numba reads it.
_zeros_c = NUMBA.allocator(calloc_intrinsic("C", _NUMBA_NO_MEMORY))
_zeros_f = NUMBA.allocator(calloc_intrinsic("F", _NUMBA_NO_MEMORY))

#: numba 0.56 made np.zeros an @overload that reads an explicit None or ``float`` dtype as
#: float64 (and np.zeros_like an explicit None as the array's own); before it, only an
#: omitted dtype was, and those spellings are typing errors, which are left to numba.
_EXPLICIT_DEFAULTS = numba_version() >= (0, 56)

_lock = threading.Lock()
_active = False


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
    * np.zeros in ``parallel=True`` functions where allocbench.fix.parallel cannot wrap
      numba's parfors (checked on 0.68.1 only): parfors rewrite it into np.empty plus a
      parallel loop writing the zeros (whenever the shape is known), which still writes every
      page. Where it can, a parfor that only writes those zeros allocates with the switch's
      np.zeros and runs an empty loop; np.zeros_like is not rewritten and is reached;
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
    if not switch_requested():
        return False
    try:
        return patch_numba_zeros()
    except NotImplementedError as error:
        warnings.warn(f"{SWITCH_VARIABLE}=1 ignored: {error}", RuntimeWarning, stacklevel=2)
        return False


def _register() -> None:
    version = numba_version()
    if version < MIN_NUMBA:
        raise NotImplementedError(
            "allocbench.patch_numba_zeros needs numba >= 0.54 (overloads tried by target, "
            f"@overload(target=...)); numba {'.'.join(map(str, version))} always tries its "
            "own np.zeros first. allocbench.zeros works on it."
        )
    from numba.extending import overload

    from allocbench.fix.parallel import reach_parfors

    overload(np.zeros, target="cpu")(_np_zeros)
    overload(np.zeros_like, target="cpu")(_np_zeros_like)
    reach_parfors(lambda shape, dtype: _np_zeros(shape, dtype) is not None)


# -- typing: which calls are taken ----------------------------------------------------------


def _zeros_element(dtype):
    """The element type of np.zeros(shape, dtype), or None where it is not taken."""
    explicit_default = explicit_none(dtype) or explicit_float(dtype)
    if explicit_default and not _EXPLICIT_DEFAULTS:
        return None
    return array_element(dtype)


def _like_element(a, dtype):
    """The element type of np.zeros_like(a, dtype), or None where it is not taken."""
    if explicit_none(dtype) and not _EXPLICIT_DEFAULTS:
        return None
    if not none_or_omitted(dtype):
        return array_element(dtype)
    element = a.dtype if isinstance(a, types.Array) else a
    return element if storable(element) else None


def _like_layout(a):
    """The layout numba's np.zeros_like gives an array like `a`, or None where not taken."""
    if not isinstance(a, types.Array):
        return "C"  # a scalar: a 0-d array
    if type(a) is not types.Array:
        return None  # a subclass may allocate its own way (Array._allocate)
    return a.layout if a.layout != "A" else "C"


def _np_zeros(shape, dtype=float):
    element = _zeros_element(dtype)
    if element is None or NUMBA.ndim(shape) is None:
        return None
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize

    def impl(shape, dtype=float):
        return _zeros_c(shape, itemsize, np_dtype)

    return impl


def _np_zeros_like(a, dtype=None):
    element = _like_element(a, dtype)
    layout = _like_layout(a)
    if element is None or layout is None:
        return None
    np_dtype = numpy_dtype(element)
    itemsize = np_dtype.itemsize
    if not isinstance(a, types.Array):

        def scalar_impl(a, dtype=None):
            return _zeros_c((), itemsize, np_dtype)

        return scalar_impl
    expected = types.Array(element, a.ndim, layout)
    if a.copy(dtype=element, layout=layout, readonly=False) != expected:
        return None  # numba would give another array type (unaligned, say): its own
    allocate = _zeros_c if layout == "C" else _zeros_f

    def impl(a, dtype=None):
        return allocate(a.shape, itemsize, np_dtype)

    return impl
