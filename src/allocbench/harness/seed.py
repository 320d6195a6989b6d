"""The seed question's own code (shared/seed/000), with the same meaning.

From the question: ``pure_python``, ``pure_numba`` and ``mixed_numba1``/``mixed_numba2``; from
its answer's plot script: ``numpy_zeros``, ``numba_zeros`` and ``numba_loop``. The only change
is ``cache=True``, so that each benchmark process loads the compiled code instead of
compiling it again.
"""

import numpy as np
from numba import jit


def pure_python(n):
    mat = np.zeros((n, n), dtype=np.double)
    # do something
    return mat.reshape((n**2))


@jit(nopython=True, cache=True)
def pure_numba(n):
    mat = np.zeros((n, n), dtype=np.double)
    # do something
    return mat.reshape((n**2))


def mixed_numba1(n):
    return mixed_numba2(np.zeros((n, n)))


@jit(nopython=True, cache=True)
def mixed_numba2(array):
    n = len(array)
    # do something
    return array.reshape((n, n))


def numpy_zeros(n):
    mat = np.zeros((n, n), dtype=np.double)
    return mat.reshape((n**2))


@jit(nopython=True, cache=True)
def numba_zeros(n):
    mat = np.zeros((n, n), dtype=np.double)
    return mat.reshape((n**2))


@jit(nopython=True, cache=True)
def numba_loop(n):
    mat = np.empty((n * 2, n), dtype=np.float32)
    for i in range(mat.shape[0]):
        for j in range(mat.shape[1]):
            mat[i, j] = 0.0
    return mat.reshape((2 * n**2))


def compile_all() -> None:
    """Compile (or load from cache) every jitted function, as the seed's script does."""
    pure_numba(10)
    mixed_numba1(10)
    numba_zeros(10)
    numba_loop(10)
