"""numba's extension hook: register allocbench.zeros's overloads before numba compiles.

numba runs every ``numba_extensions`` entry point named ``init`` once, when the first @njit
function is made. allocbench's loads the fix there, so ``allocbench.zeros`` inside @njit code
resolves even where nothing imported ``allocbench._zeros`` first. Where the environment
variable ``ALLOCBENCH_PATCH_NUMBA_ZEROS`` is "1", it also applies
``allocbench.patch_numba_zeros()`` (allocbench._patch) there, before the first compilation, so
numba's own np.zeros is calloc-backed in the whole process (a warning instead, on a numba the
switch cannot work on).
"""

import os

#: Set to "1", the switch is applied here (the name is allocbench._patch.ENV_VAR).
ENV_VAR = "ALLOCBENCH_PATCH_NUMBA_ZEROS"


def init() -> None:
    """Import the fix, which registers its @overload and @intrinsic with numba, and apply
    the np.zeros switch where ``ALLOCBENCH_PATCH_NUMBA_ZEROS=1``."""
    import allocbench._zeros  # noqa: F401

    if os.environ.get(ENV_VAR) == "1":
        from allocbench._patch import apply_from_environment

        apply_from_environment()
