"""Why numba's np.zeros is slow, from its compiled code: the calls that allocate and fill.

Read from the LLVM IR numba generates for each path in the environment being measured, so
the history records, release by release, whether np.zeros inside @njit still mallocs and
then writes every byte (a memset over the whole block), or gets zeroed memory (calloc).
"""

from allocbench.catalog import EXPLAINED_PATHS
from allocbench.harness.explain import allocating_calls

from .common import skip_where_environment_does_nothing, with_attributes


class CompiledCode:
    """Counts of calls in the path's compiled function (not its Python wrapper)."""

    version = "1"

    params = [list(EXPLAINED_PATHS)]
    param_names = ["path"]

    def setup(self, path):
        skip_where_environment_does_nothing()
        self.calls = allocating_calls(path)

    @with_attributes(unit="calls")
    def track_whole_block_fills(self, path):
        """memsets whose length is the array's size: 1 is an eager zero fill of every page."""
        return sum(call.fills_whole_block for call in self.calls)

    @with_attributes(unit="calls")
    def track_calloc_calls(self, path):
        """calloc calls: zeroed memory, lazily faulted in above glibc's mmap threshold."""
        return sum(call.function == "calloc" for call in self.calls)
