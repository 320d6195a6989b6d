"""What the operating system says about this process: page faults, resident memory, free memory.

Linux answers from /proc; elsewhere (macOS) the fallbacks are psutil if installed, then ps(1)
and sysconf. getrusage's minor faults are Linux's first touches of fresh pages; macOS counts
"page reclaims" there, so compare fault counts within one platform only. A probe that has no
answer on this platform raises NotImplementedError, which asv shows as n/a.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
from typing import Dict, Optional, Tuple

from allocbench._advice import huge_page_advised, numpy_advises_zeros  # noqa: F401

_STATM = "/proc/self/statm"
_MEMINFO = "/proc/meminfo"
_THP = "/sys/kernel/mm/transparent_hugepage/enabled"


def page_size() -> int:
    """The base page size in bytes."""
    return os.sysconf("SC_PAGE_SIZE")


def minor_faults() -> int:
    """Minor page faults of this process so far (first touches of fresh pages)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def resident_bytes() -> int:
    """Resident set size of this process now, in bytes."""
    if os.path.exists(_STATM):
        with open(_STATM) as f:
            return int(f.read().split()[1]) * page_size()
    try:
        import psutil
    except ImportError:
        pass
    else:
        return psutil.Process().memory_info().rss
    try:
        rss = subprocess.run(["ps", "-o", "rss=", "-p", str(os.getpid())], capture_output=True,
                             text=True, timeout=30).stdout  # fmt: skip
        return int(rss.strip()) * 1024
    except (OSError, ValueError, subprocess.TimeoutExpired):
        raise NotImplementedError("no /proc/self/statm, psutil or ps: cannot read RSS") from None


def available_memory() -> Optional[int]:
    """Bytes that can be allocated and touched without swapping, or None if unknown."""
    if os.path.exists(_MEMINFO):
        with open(_MEMINFO) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    try:
        import psutil
    except ImportError:
        pass
    else:
        return psutil.virtual_memory().available
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * page_size()
    except (ValueError, OSError):
        pass
    try:
        # macOS has no count of free pages in sysconf: assume half of the physical memory.
        return os.sysconf("SC_PHYS_PAGES") * page_size() // 2
    except (ValueError, OSError):
        return None


def physical_memory() -> int:
    """The machine's physical memory in bytes; NotImplementedError (n/a) where unknown."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * page_size()
    except (ValueError, OSError):
        raise NotImplementedError("the operating system does not say its memory size") from None


#: Room left for the interpreter, numba and the OS on top of the arrays themselves.
HEADROOM = 512 * 1024 * 1024


def fits_in_memory(nbytes: int, copies: int = 1) -> bool:
    """Whether `copies` arrays of `nbytes` fit in available memory with headroom to spare."""
    available = available_memory()
    return available is None or nbytes * copies + HEADROOM <= available


def glibc_version() -> Optional[Tuple[int, int]]:
    """(major, minor) of the glibc this process runs on, or None for any other libc."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        return None
    if not text or not text.startswith("glibc "):
        return None
    major, minor = text.split()[1].split(".")[:2]
    return int(major), int(minor)


def transparent_hugepages() -> Optional[str]:
    """The kernel's transparent huge page mode ('always', 'madvise', 'never'), or None."""
    try:
        with open(_THP) as f:
            text = f.read()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1 : end] if 0 <= start < end else None


def machine_facts() -> Dict[str, Optional[str]]:
    """What decides where a block comes from and how it is faulted in, as text."""
    version = glibc_version()
    return {
        "libc": "glibc {}.{}".format(*version) if version else platform.libc_ver()[0] or None,
        "transparent_hugepages": transparent_hugepages(),
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES") or None,
        "page_size": str(page_size()),
    }
