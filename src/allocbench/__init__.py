"""allocbench: every way to get a fresh array in numpy and numba code, measured with asv."""

from allocbench.paths import PATHS, AllocationPath

__all__ = ["PATHS", "AllocationPath"]
__version__ = "0.1.0"
