"""allocbench: every way to get a fresh array in numpy and numba code, measured with asv.

``allocbench.zeros`` and ``allocbench.zeros_like`` are the fix: np.zeros for @njit code that
is as lazy as numpy's. They need numba, and numba only resolves ``allocbench.zeros`` inside
@njit code if the overload exists before compilation starts, so they are imported here.
"""

from allocbench.paths import PATHS, AllocationPath

__all__ = ["PATHS", "AllocationPath"]
__version__ = "0.1.0"

try:
    from allocbench.fastzeros import zeros, zeros_like
except ImportError:  # numba is not installed: the numpy paths still work
    pass
else:
    __all__ += ["zeros", "zeros_like"]
