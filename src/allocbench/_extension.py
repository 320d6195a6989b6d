"""numba's extension hook: register allocbench.zeros's overloads before numba compiles.

numba runs every ``numba_extensions`` entry point named ``init`` once, when the first @njit
function is made. allocbench's loads the fix there, so ``allocbench.zeros`` inside @njit code
resolves even where nothing imported ``allocbench._zeros`` first.
"""


def init() -> None:
    """Import the fix, which registers its @overload and @intrinsic with numba."""
    import allocbench._zeros  # noqa: F401
