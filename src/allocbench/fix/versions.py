"""numba's version as (major, minor), parsed in one place for every check the fix makes."""

import re
from typing import Tuple


def numba_version() -> Tuple[int, int]:
    """The running numba's (major, minor): "0.68.1+allocbench.calloc" reads (0, 68)."""
    import numba

    major, minor = re.match(r"(\d+)\.(\d+)", numba.__version__).groups()
    return int(major), int(minor)
