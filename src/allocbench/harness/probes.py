"""What the system says about this process: page faults, resident memory, free memory, heap.

Linux answers from /proc; elsewhere (macOS) the fallbacks are psutil if installed, then ps(1)
and sysconf. getrusage's minor faults are Linux's first touches of fresh pages; macOS counts
"page reclaims" there, so compare fault counts within one platform only. A probe that has no
answer on this platform raises NotImplementedError, which asv shows as n/a. The heap is
read from glibc's own reports (mallinfo, malloc_info).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform
import re
import resource
import subprocess
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from allocbench.catalog import ALLOCATORS, PRELOAD_VARIABLE, TUNABLES_VARIABLE, Allocator
from allocbench.harness.glibc import HeapState

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


def _machine_available() -> Optional[int]:
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


def _read_int(path: str) -> Optional[int]:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _own_cgroup() -> Optional[str]:
    """This process's cgroup v2 folder, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                if line.startswith("0::"):
                    return "/sys/fs/cgroup" + line.split("::", 1)[1].strip()
    except OSError:
        pass
    return None


def cgroup_room() -> Optional[int]:
    """Bytes this process's control group may still use (cgroup v2 memory.max or v1
    memory.limit_in_bytes, less what it uses), or None where there is no such limit."""
    folder = _own_cgroup()
    candidates = []
    if folder:
        candidates.append((folder + "/memory.max", folder + "/memory.current"))
    candidates.append(("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                       "/sys/fs/cgroup/memory/memory.usage_in_bytes"))  # fmt: skip
    for limit_file, usage_file in candidates:
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        # v1 writes a huge number (a page short of 2**63) where there is no limit.
        if limit is not None and limit < 2**62:
            return max(0, limit - (usage or 0))
    return None


def rlimit_room() -> Optional[int]:
    """Address space this process may still map under its RLIMIT_AS / RLIMIT_DATA (what
    `ulimit -v` sets), or None where they are unlimited."""
    rooms = []
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        limit = getattr(resource, name, None)
        if limit is None:
            continue
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            rooms.append(soft - _mapped_bytes())
    return max(0, min(rooms)) if rooms else None


def _mapped_bytes() -> int:
    """Virtual memory this process has mapped now (Linux; elsewhere its resident size)."""
    if os.path.exists(_STATM):
        with open(_STATM) as f:
            return int(f.read().split()[0]) * page_size()
    return resident_bytes()


def available_memory() -> Optional[int]:
    """Bytes that can be allocated and touched without swapping or hitting a limit: the least
    of the machine's available memory, the control group's room and the rlimits' room; None
    if none of them is known."""
    known = [v for v in (_machine_available(), cgroup_room(), rlimit_room()) if v is not None]
    return min(known) if known else None


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


#: prctl(2)'s requests for the process's transparent-huge-page switch (Linux 3.15 on).
_PR_SET_THP_DISABLE, _PR_GET_THP_DISABLE = 41, 42


@contextlib.contextmanager
def huge_pages_off() -> Iterator[bool]:
    """Within the block, the kernel gives this process no transparent huge pages, whatever
    madvise(MADV_HUGEPAGE) its memory was given (prctl PR_SET_THP_DISABLE): every first touch
    faults one 4 KiB page. Yields whether that took (False where there is no such switch)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        yield False
        return
    previous = prctl(_PR_GET_THP_DISABLE, 0, 0, 0, 0)
    if previous < 0 or prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0:
        yield False
        return
    try:
        yield True
    finally:
        prctl(_PR_SET_THP_DISABLE, previous, 0, 0, 0)


def _mapped_files() -> List[str]:
    """File names of everything mapped into this process (Linux's /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as maps:
            return [os.path.basename(line.split()[-1]) for line in maps if "/" in line]
    except OSError:
        return []


def requested_allocator() -> Optional[Allocator]:
    """The allocator LD_PRELOAD asks for (one of the catalog's), or None."""
    preload = os.environ.get(PRELOAD_VARIABLE, "").replace(":", " ").split()
    names = {os.path.basename(entry) for entry in preload}
    return next((a for a in ALLOCATORS.values() if a.soname in names), None)


@functools.lru_cache(maxsize=None)
def malloc_in_use() -> str:
    """Whose malloc serves this process: a catalog allocator's name where its library is
    mapped in, else 'glibc' or 'system'. Read once: a process cannot change its malloc."""
    mapped = _mapped_files()
    for allocator in ALLOCATORS.values():
        stem = allocator.soname.split(".so")[0] + ".so"
        if any(name.startswith(stem) for name in mapped):
            return allocator.name
    return "glibc" if glibc_version() is not None else "system"


def missing_allocator() -> Optional[str]:
    """Why the allocator LD_PRELOAD asks for is not the one in use (the dynamic loader ignores
    a library it cannot find, with only a warning), or None when it is, or none is asked."""
    asked = requested_allocator()
    if asked is None or malloc_in_use() == asked.name:
        return None
    return (f"{asked.name} is not installed here: LD_PRELOAD={asked.soname} was ignored "
            f"(Debian's package: {asked.package})")  # fmt: skip


@dataclass(frozen=True)
class MachineFacts:
    """What decides where a block comes from and how it is faulted in, as text."""

    libc: Optional[str]
    transparent_hugepages: Optional[str]
    glibc_tunables: Optional[str]
    malloc: str
    page_size: str


def machine_facts() -> MachineFacts:
    """What decides where a block comes from and how it is faulted in, read here."""
    version = glibc_version()
    return MachineFacts(
        libc="glibc {}.{}".format(*version) if version else platform.libc_ver()[0] or None,
        transparent_hugepages=transparent_hugepages(),
        glibc_tunables=os.environ.get(TUNABLES_VARIABLE) or None,
        malloc=malloc_in_use(),
        page_size=str(page_size()),
    )


def heap_state() -> HeapState:
    """This process's main-arena heap: its top chunk and its largest free chunk (glibc only)."""
    libc = ctypes.CDLL(None)
    return HeapState(top=_top_chunk(libc), largest_free=_largest_free_chunk(libc))


_MALLINFO_FIELDS = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                    "uordblks", "fordblks", "keepcost")  # fmt: skip


def _top_chunk(libc: ctypes.CDLL) -> int:
    # mallinfo2 (glibc 2.33) has size_t fields; the older mallinfo has int fields.
    if hasattr(libc, "mallinfo2"):
        name, field = "mallinfo2", ctypes.c_size_t
    else:
        name, field = "mallinfo", ctypes.c_int

    class Mallinfo(ctypes.Structure):
        _fields_ = [(f, field) for f in _MALLINFO_FIELDS]

    function = getattr(libc, name)
    function.restype = Mallinfo
    return int(function().keepcost)


def _largest_free_chunk(libc: ctypes.CDLL) -> int:
    buffer, size = ctypes.c_void_p(), ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p
    stream = ctypes.c_void_p(libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size)))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    try:
        xml = ctypes.string_at(buffer, size.value).decode()
    finally:
        libc.free(buffer)
    main_arena = xml.split("</heap>", 1)[0]
    bins = re.findall(r'<(?:size|unsorted) from="\d+" to="(\d+)" total="\d+" count="(\d+)"/>',
                      main_arena)  # fmt: skip
    # A chunk's size field carries flags in its low bits (PREV_INUSE), which malloc_info keeps.
    return max((int(to) & ~7 for to, count in bins if int(count)), default=0)
