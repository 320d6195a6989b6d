"""The @njit functions behind the numba and mixed allocation paths.

Each kernel is built per dtype (and per ndim where the body depends on it) as a closure, so
the dtype is a compile-time constant exactly as in the seed's code. Passing the dtype as an
argument instead adds the dispatcher's typing of it to every call, more than the allocation
itself at small sizes; to see by how much, compare ``python -m timeit -s "import numpy as np,
numba; f = numba.njit(lambda d: np.zeros(1, d)); f(np.float64)" "f(np.float64)"`` with the
same for ``numba.njit(lambda: np.zeros(1, np.float64))``. Each closure gets a name of its own
(`cached_njit`), so numba's on-disk cache keeps one index per dtype.

allocbench.harness.paths imports this module only when a numba path is first bound, so the path
registry itself does not need numba.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable, Dict, Tuple

import numba
import numpy as np

from allocbench.catalog import FULL_VALUE
from allocbench.fix.njit import cached_njit


def _zeros(dt):
    def zeros(shape):
        return np.zeros(shape, dt)

    return zeros


def _empty(dt):
    def empty(shape):
        return np.empty(shape, dt)

    return empty


def _ones(dt):
    def ones(shape):
        return np.ones(shape, dt)

    return ones


def _full(dt):
    def full(shape):
        return np.full(shape, FULL_VALUE, dt)

    return full


def _empty_slice_fill(dt):
    def empty_slice_fill(shape):
        a = np.empty(shape, dt)
        a[:] = 0
        return a

    return empty_slice_fill


def _empty_loop_2d(dt):
    # The seed's numba_loop: a nested loop over both dimensions.
    def empty_loop(shape):
        a = np.empty(shape, dt)
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                a[i, j] = 0
        return a

    return empty_loop


def _empty_loop_flat(dt):
    def empty_loop(shape):
        a = np.empty(shape, dt)
        flat = a.reshape(a.size)
        for i in range(flat.shape[0]):
            flat[i] = 0
        return a

    return empty_loop


def _zeros_like(dt):
    # The dtype comes from the prototype; dt only keeps one cache entry per dtype.
    def zeros_like(proto):
        return np.zeros_like(proto)

    return zeros_like


def _passthrough(dt):
    def passthrough(a):
        return a

    return passthrough


def _allocbench_zeros(dt):
    from allocbench.fix.zeros import zeros as calloc_zeros

    def zeros(shape):
        return calloc_zeros(shape, dt)

    return zeros


def _zeros_loop(dt, write=False, fix=True):
    # Allocation inside compiled code, with no call boundary per array: each array is read
    # once (its last element) so that nothing can be optimised away, then freed. `write` and
    # `fix` (allocbench.zeros, else np.zeros) are constants of the closure.
    from allocbench.fix.zeros import zeros as calloc_zeros

    def zeros_loop(shape, calls):
        total = 0
        for _ in range(calls):
            a = calloc_zeros(shape, dt) if fix else np.zeros(shape, dt)
            if write:
                a[:] = 1
            total += a[a.shape[0] - 1]
        return total

    return zeros_loop


_FACTORIES = {
    "zeros": _zeros,
    "empty_loop": _empty_loop_flat,
    "empty": _empty,
    "ones": _ones,
    "full": _full,
    "empty_slice_fill": _empty_slice_fill,
    "zeros_like": _zeros_like,
    "passthrough": _passthrough,
    "allocbench_zeros": _allocbench_zeros,
    "allocbench_zeros_loop": _zeros_loop,
    "allocbench_zeros_loop_write": functools.partial(_zeros_loop, write=True),
    "numba_zeros_loop": functools.partial(_zeros_loop, fix=False),
    "numba_zeros_loop_write": functools.partial(_zeros_loop, write=True, fix=False),
}

_OBJMODE_SOURCE = """
def objmode_zeros(shape):
    with numba.objmode(out="{spec}"):
        out = np.zeros(shape, np.{dtype})
    return out
"""

_compiled: Dict[Tuple[str, str, int], Callable] = {}


def _objmode_zeros(dtype: str, ndim: int) -> Callable:
    # objmode needs the output type as a literal in the with-statement (numba 0.48 takes only
    # strings), so the function is generated per dtype and ndim. It is not cached on disk:
    # generated source has no file for numba's cache to key on.
    spec = "{}[{}]".format(dtype, ", ".join([":"] * (ndim - 1) + ["::1"]))
    namespace = {"numba": numba, "np": np}
    exec(_OBJMODE_SOURCE.format(spec=spec, dtype=dtype), namespace)
    return numba.njit(namespace["objmode_zeros"])


def _key(kind: str, dtype: str, ndim: int) -> Tuple[str, str, int]:
    return (kind, np.dtype(dtype).name, ndim if kind in ("empty_loop", "objmode_zeros") else 0)


def _python_function(kind: str, dtype: str, ndim: int) -> Callable:
    factory = _FACTORIES[kind]
    if kind == "empty_loop":
        factory = _empty_loop_2d if ndim == 2 else _empty_loop_flat
    return factory(np.dtype(dtype).type)


def _switched() -> bool:
    """Whether allocbench's run-time switch is on here, or will be once numba loads its
    extensions (it changes what np.zeros compiles to)."""
    from allocbench.fix.environment import switch_requested

    if switch_requested():
        return True
    patch = sys.modules.get("allocbench.fix.patch")
    return bool(patch is not None and patch.is_active())


def kernel(kind: str, dtype: str, ndim: int) -> Callable:
    """The @njit dispatcher for `kind` ('zeros', 'empty_loop', ...) specialised to dtype/ndim."""
    key = _key(kind, dtype, ndim)
    if key not in _compiled:
        if kind == "objmode_zeros":
            _compiled[key] = _objmode_zeros(key[1], ndim)
        else:
            variant = key
            if kind.startswith("allocbench_zeros"):
                from allocbench.fix.advice import advice_name

                variant += (advice_name(),)
            if _switched():
                # numba's disk cache does not know that np.zeros now compiles differently.
                variant += ("switched",)
            _compiled[key] = cached_njit(_python_function(kind, dtype, ndim), *variant)
    return _compiled[key]


def uncached_kernel(kind: str, dtype: str, ndim: int) -> Callable:
    """The same kernel compiled afresh, never from numba's disk cache, whose compiled code
    can therefore be inspected (numba does not keep the LLVM IR of cached code)."""
    if kind == "objmode_zeros":
        return _objmode_zeros(np.dtype(dtype).name, ndim)
    return numba.njit(_python_function(kind, dtype, ndim))
