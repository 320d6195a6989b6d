"""allocbench: np.zeros for @njit code that is as lazy as numpy's, and the suite that shows why.

The public surface is the fix::

    allocbench.zeros(shape, dtype=np.float64)   # inside @njit code and from Python
    allocbench.zeros_like(a, dtype=None, shape=None)
    allocbench.patch_numba_zeros()   # numba's own np.zeros/zeros_like, calloc-backed, from now on

The switch is opt-in: it is applied only when called, or at interpreter start where the
environment variable ``ALLOCBENCH_PATCH_NUMBA_ZEROS=1`` is set (numba's entry point reads it
before the first compilation); see allocbench.fix.patch for what it cannot reach.

The fix lives in ``allocbench.fix``. The rest of the package is the benchmark suite, in
subpackages that the fix never imports: ``catalog`` (names, sizes; no dependencies),
``harness`` (runs inside asv's environments), ``history`` (numba releases through asv),
``results`` and ``report`` (read asv's results), and ``cli`` (the ``allocbench`` command).
Importing ``allocbench`` or any of those imports neither numpy nor numba: the fix is loaded
when first used here, and by numba itself through the ``numba_extensions`` entry point before
it compiles anything, so ``allocbench.zeros`` resolves inside @njit code without an import of
its own.
"""

from typing import Any, List

__version__ = "0.1.0"
__all__ = ["patch_numba_zeros", "zeros", "zeros_like"]


def __getattr__(name: str) -> Any:
    if name == "patch_numba_zeros":
        from allocbench.fix import patch as home
    elif name in ("zeros", "zeros_like"):
        from allocbench.fix import zeros as home
    else:
        raise AttributeError(f"module 'allocbench' has no attribute {name!r}")
    return getattr(home, name)


def __dir__() -> List[str]:
    return sorted([*globals(), *__all__])
