"""What numba costs before it allocates anything: `import numba`, and compiling a function.

asv runs each ``timeraw_`` benchmark in a fresh interpreter, so nothing is imported or
compiled beforehand; numba's disk cache is not used (no ``cache=True``), so every first call
compiles. numba's maintainers track both release by release (numba issues 6136, 7612,
8398). These are absolute times, on the site to read: the history does not flag them.
"""

from .common import with_attributes

#: The first call of an @njit function that allocates with np.zeros (numba's, or the fix's):
#: its compilation, timed after the imports and the definition.
_DEFINE = """
import numpy as np
import numba
{imports}

@numba.njit
def allocate(n):
    return {call}
"""

_CALLS = {
    "numba.zeros": ("", "np.zeros(n, np.uint8)"),
    "allocbench.zeros": ("import allocbench", "allocbench.zeros(n, np.uint8)"),
}


class _FreshInterpreter:
    """Three samples in one round, each a fresh interpreter; no warm-up, which would be one
    more (asv's default is two rounds of up to ten)."""

    rounds = 1
    repeat = 3
    warmup_time = 0
    timeout = 300


class ImportTime(_FreshInterpreter):
    """Seconds to import numba (and numpy, which it imports) in a fresh interpreter."""

    version = "1"

    @with_attributes(unit="seconds")
    def timeraw_import_numba(self):
        """`import numba`, numpy included."""
        return "import numba"

    @with_attributes(unit="seconds")
    def timeraw_import_numpy(self):
        """`import numpy` alone: the part of numba's import time that is numpy's."""
        return "import numpy"


class FirstCall(_FreshInterpreter):
    """Seconds of the first call of an @njit function that allocates, numba and numpy already
    imported: its type inference and compilation, then one allocation of 10 bytes."""

    version = "1"

    params = (list(_CALLS),)
    param_names = ("path",)

    @with_attributes(unit="seconds")
    def timeraw_first_call(self, path):
        """The first `allocate(10)`."""
        imports, call = _CALLS[path]
        return "allocate(10)", _DEFINE.format(imports=imports, call=call)
