"""What an allocation costs the operating system: page faults and resident memory per call.

asv's peakmem_ sees the whole process (a 150-190 MB baseline with numba loaded), so it cannot
tell these sizes apart; these track_ benchmarks read the counters around the calls instead.
"""

import statistics

from allocbench.catalog import TRACK_SIZES, MiB, size_bytes, size_labels
from allocbench.harness.measure import fault_split, settle
from allocbench.harness.probes import page_size, resident_bytes

from .common import PATH_NAMES, bind, with_attributes


def calls_for(nbytes):
    """Enough calls to average over: 50 for small arrays, 3 from 21 MiB up."""
    return max(3, min(50, (64 * MiB) // nbytes))


class PageFaults:
    """Minor page faults per call, in the steady state after a few warm-up calls.

    A fault is the kernel handing the process a fresh zeroed page on first touch: about one
    per 4 KiB page written, unless the memory is reused or backed by huge pages.
    """

    version = "1"

    params = (PATH_NAMES, size_labels(TRACK_SIZES))
    param_names = ("path", "size")

    def setup(self, path, size):
        nbytes = size_bytes(size)
        self.alloc = bind(path, nbytes)
        settle(self.alloc)

    @with_attributes(unit="faults")
    def track_faults_alloc(self, path, size):
        """Faults taken by the allocation alone."""
        nbytes = size_bytes(size)
        return fault_split(self.alloc, calls_for(nbytes))[0]

    @with_attributes(unit="faults")
    def track_faults_alloc_and_write(self, path, size):
        """Faults taken by the allocation plus writing every element."""
        nbytes = size_bytes(size)
        return sum(fault_split(self.alloc, calls_for(nbytes)))

    @with_attributes(unit="fraction")
    def track_pages_faulted_alloc(self, path, size):
        """Share of the array's pages the allocation alone faults in, per call (median), to
        two decimals: 1.00 writes every page, 0.00 touches none. Rounded, so that the odd
        fault of the interpreter's own is not a change; this is what the history flags."""
        nbytes = size_bytes(size)
        pages = -(-nbytes // page_size())
        return round(fault_split(self.alloc, calls_for(nbytes))[0] / pages, 2)


class ResidentMemory:
    """Resident memory added by one allocation while the array is still alive, in bytes.

    Eager zeroing makes the whole array resident at once; a lazily zeroed array adds almost
    nothing until it is written.
    """

    version = "1"

    params = (PATH_NAMES, size_labels(TRACK_SIZES))
    param_names = ("path", "size")

    def setup(self, path, size):
        nbytes = size_bytes(size)
        self.alloc = bind(path, nbytes)
        resident_bytes()  # raises NotImplementedError (n/a) where RSS cannot be read
        settle(self.alloc, write=False)

    @with_attributes(unit="bytes")
    def track_resident_added(self, path, size):
        """Median RSS growth from allocating the array (rounded to whole pages)."""
        nbytes = size_bytes(size)
        added = []
        for _ in range(calls_for(nbytes)):
            before = resident_bytes()
            array = self.alloc()
            added.append(resident_bytes() - before)
            del array
        return statistics.median(added) // page_size() * page_size()
