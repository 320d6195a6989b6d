"""The fix: allocbench.zeros, allocbench.zeros_like and the np.zeros switch, one job a module.

Each module imports only those listed before it, and nothing of the suite:

- ``environment``: the switch's environment variable (standard library only);
- ``versions``: numba's version, parsed once;
- ``advice``: whether numpy gives its np.zeros memory the huge-page advice;
- ``njit``: @njit(cache=True) for closures made per dtype;
- ``shape``: shapes as numpy takes them from Python;
- ``dtypes``: the dtypes numba arrays hold, numpy's dtype for each, and the defaults;
- ``dims``: shapes inside @njit code, read as allocbench.zeros and as numba's np.zeros read them;
- ``codegen``: the LLVM of an array on calloc'ed memory owned by numba's runtime;
- ``entries``: the compiled functions behind calls from Python, one per dtype;
- ``zeros``: allocbench.zeros and allocbench.zeros_like;
- ``parallel``: the switch under parallel=True (numba's parfor rewrite of np.zeros);
- ``patch``: the switch, allocbench.patch_numba_zeros;
- ``extension``: numba's ``numba_extensions`` entry point.

Importing this package imports none of them; ``allocbench`` loads ``zeros`` and ``patch`` when
their functions are first asked for, and numba loads ``extension`` before it compiles.
"""
