"""Whether numpy gives its np.zeros memory the huge-page advice, so the fix can do the same.

numpy calls madvise(MADV_HUGEPAGE) on its large allocations: numpy 2.4.6 on np.zeros memory,
numpy 1.18-1.24 on np.empty memory only. Where the advice is given, the kernel (THP mode
``madvise``) faults the memory in 2 MiB at a time, which changes what first use costs. The fix
follows the running numpy, seen on a fresh array's mapping (Linux's smaps flag "hg").
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Callable, Optional

#: numpy's threshold for madvise(MADV_HUGEPAGE): arrays of 4 MiB and more.
HUGEPAGE_FROM = 4 * 1024 * 1024
#: MADV_HUGEPAGE from <sys/mman.h>.
MADV_HUGEPAGE = 14

_SMAPS = "/proc/self/smaps"


def huge_page_advised(address: int) -> Optional[bool]:
    """Whether the mapping holding `address` carries madvise(MADV_HUGEPAGE) (Linux's smaps
    flag "hg"); None where there is no /proc/self/smaps or no such mapping."""
    try:
        with open(_SMAPS) as smaps:
            lines = smaps.read().splitlines()
    except OSError:
        return None
    inside = False
    for line in lines:
        head = line.split(maxsplit=1)[0] if line.strip() else ""
        if "-" in head and not head.endswith(":"):
            start, end = (int(x, 16) for x in head.split("-"))
            inside = start <= address < end
        elif inside and head == "VmFlags:":
            return "hg" in line.split()
    return None


def numpy_advises_zeros() -> bool:
    """Whether this numpy gives its np.zeros memory the huge-page advice, seen on a fresh
    array's mapping. The array is larger than glibc's largest dynamic mmap threshold, so
    freeing it leaves the threshold where it was, and it is never touched."""
    import numpy as np

    probe = np.zeros(64 * 1024 * 1024, np.uint8)
    return bool(huge_page_advised(probe.ctypes.data + probe.nbytes // 2))


@functools.lru_cache(maxsize=None)
def huge_page_advice() -> Optional[int]:
    """MADV_HUGEPAGE where the running numpy gives that advice to its own np.zeros memory (so
    both cost the same to allocate and to use), else None. Only Linux has it. Asked once, when
    first needed: importing allocbench allocates nothing."""
    return MADV_HUGEPAGE if sys.platform.startswith("linux") and numpy_advises_zeros() else None


def advice_name() -> str:
    """Part of the compiled entries' names, so numba's disk cache keeps one per advice policy."""
    return "advised" if huge_page_advice() is not None else "unadvised"


def numpy_advice_switch() -> Optional[Callable[[bool], bool]]:
    """numpy's own switch for its huge-page advice, ``_set_madvise_hugepage`` (numpy 1.20 on;
    it moved in numpy 2): it takes the new setting and returns the old. None where this numpy
    has none."""
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
    return None
