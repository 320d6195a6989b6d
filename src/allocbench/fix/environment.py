"""The switch's environment variable: its one name inside the fix, and whether it is set.

The suite's catalog spells the same name (``allocbench.catalog.SWITCH_VARIABLE``): the catalog
imports only the standard library and the fix nothing of the suite, so neither imports the
other, and tests/test_layout.py checks that the two agree.
"""

import os

#: Set to "1", numba's entry point (allocbench.fix.extension) turns the switch on.
SWITCH_VARIABLE = "ALLOCBENCH_PATCH_NUMBA_ZEROS"


def switch_requested() -> bool:
    """Whether the environment asks for the switch: the variable is exactly "1"."""
    return os.environ.get(SWITCH_VARIABLE) == "1"
