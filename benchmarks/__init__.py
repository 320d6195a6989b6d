"""allocbench's asv suite: every way to get a fresh array in numpy and numba code."""
