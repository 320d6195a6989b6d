"""The machine facts that change the picture, recorded with the results of every run.

Whether a block comes from the heap or from fresh mmap'd pages is glibc's decision, and how
fresh pages are faulted in depends on the kernel's transparent huge page mode, so both are
tracked as numbers beside the timings. A fact this platform does not have shows as n/a.
"""

import os

from allocbench.harness import probes

from .common import with_attributes

#: The kernel's THP modes, as track_transparent_hugepages records them.
THP_MODES = {"never": 0, "madvise": 1, "always": 2}


class Glibc:
    """The C library's allocator: its version, and whether tunables are set for this run."""

    version = "1"

    def setup(self):
        self.glibc = probes.glibc_version()
        if self.glibc is None:
            raise NotImplementedError("this libc is not glibc")

    @with_attributes(unit="version")
    def track_glibc_version(self):
        """glibc's version as major + minor / 100 (2.36 is glibc 2.36)."""
        return self.glibc[0] + self.glibc[1] / 100

    @with_attributes(unit="flag")
    def track_glibc_tunables_set(self):
        """1 if the environment sets GLIBC_TUNABLES (its name says which ones), else 0."""
        return int(bool(os.environ.get("GLIBC_TUNABLES")))


class Kernel:
    """The kernel's page size and transparent huge page mode."""

    version = "1"

    @with_attributes(unit="bytes")
    def track_page_size(self):
        """The base page size: one minor fault maps this many bytes."""
        return probes.page_size()


class TransparentHugepages:
    """Whether fresh anonymous memory may be faulted in 2 MiB at a time."""

    version = "1"

    def setup(self):
        mode = probes.transparent_hugepages()
        if mode not in THP_MODES:
            raise NotImplementedError(f"no transparent huge page setting here ({mode})")
        self.mode = THP_MODES[mode]

    @with_attributes(unit="mode")
    def track_transparent_hugepages(self):
        """The kernel's THP mode: 0 never, 1 madvise (advised memory only), 2 always."""
        return self.mode


class Hardware:
    """The machine's size, recorded with the results: the CI machines' asv identity is fixed
    (so that a new runner image does not break the history apart), and this is where their
    real hardware shows."""

    version = "1"

    @with_attributes(unit="cores")
    def track_logical_cpus(self):
        """Logical CPUs the operating system reports."""
        return os.cpu_count() or 0

    @with_attributes(unit="bytes")
    def track_physical_memory(self):
        """Physical memory, in bytes."""
        return probes.physical_memory()
