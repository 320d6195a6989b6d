"""numba's extension hook: register allocbench.zeros's overloads before numba compiles.

numba runs every ``numba_extensions`` entry point named ``init`` once, when the first @njit
function is made. allocbench's loads the fix there, so ``allocbench.zeros`` inside @njit code
resolves even where nothing imported ``allocbench.fix.zeros`` first. Where the environment asks
for the switch (allocbench.fix.environment), it also applies
``allocbench.patch_numba_zeros()`` (allocbench.fix.patch) there, before the first compilation,
so numba's own np.zeros is calloc-backed in the whole process (a warning instead, on a numba
the switch cannot work on).
"""

from allocbench.fix.environment import switch_requested


def init() -> None:
    """Import the fix, which registers its @overload and @intrinsic with numba, and apply
    the np.zeros switch where ``ALLOCBENCH_PATCH_NUMBA_ZEROS=1``."""
    import allocbench.fix.zeros  # noqa: F401

    if switch_requested():
        from allocbench.fix.patch import apply_from_environment

        apply_from_environment()
