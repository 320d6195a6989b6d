"""@njit(cache=True) for closures made per dtype, each with a disk-cache index of its own.

The fix compiles one entry per dtype, and the harness one kernel per dtype and path, each a
closure with the dtype as a compile-time constant.
"""

from __future__ import annotations

from typing import Callable

import numba


def cached_njit(func: Callable, *variant: object, **options: bool) -> Callable:
    """@njit(cache=True) for a closure made per dtype (and ndim), with a qualified name of its own.

    numba names a function's on-disk cache index after its qualified name, so every closure
    from one factory would share one index, told apart only by a hash of the closure cells.
    A shared index is where a float32 closure was once handed float64 machine code here, after
    two numba versions had used the same source tree. A name per variant gives each its own.
    `options` go to @njit (parallel, nogil).
    """
    func.__qualname__ = "_".join([func.__qualname__, *map(str, variant)])
    return numba.njit(cache=True, **options)(func)
