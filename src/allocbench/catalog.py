"""The suite's names: allocation paths, groups of them, size grids, dtypes, and the
benchmarks: their modules, classes (with their parameters' names) and ids.

One source of truth for each: the benchmarks, the harness, the history's selection, the
report and the tests all read them from here. Standard library only, so that every part of
the suite (and the asv install step on Python 3.8) can import it without numpy or numba.
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Tuple


class PathInfo(NamedTuple):
    """What an allocation path is, by its stable name; allocbench.harness.paths binds it."""

    name: str
    description: str
    #: What every element holds afterwards; None when the path leaves memory uninitialised.
    value: Optional[int]

    @property
    def library(self) -> str:
        """'numpy', 'numba', 'mixed' or 'allocbench': whose code allocates."""
        return self.name.split(".", 1)[0]


#: The environment variables of asv.conf.json's variants: glibc's tunables (read by glibc), the
#: run-time switch (read by the fix, as allocbench.fix.environment.SWITCH_VARIABLE, which
#: tests/test_layout.py checks is this name) and the patched numba build (read by the install
#: step).
TUNABLES_VARIABLE = "GLIBC_TUNABLES"
SWITCH_VARIABLE = "ALLOCBENCH_PATCH_NUMBA_ZEROS"
BUILD_VARIABLE = "ALLOCBENCH_NUMBA_BUILD"


class Allocator(NamedTuple):
    """A malloc that replaces glibc's when preloaded (asv.conf.json's LD_PRELOAD)."""

    name: str
    #: What LD_PRELOAD names: a file name, which the dynamic loader finds on its own path.
    soname: str
    #: Debian's package that holds it.
    package: str


#: The allocators the history measures beside glibc's malloc, by name.
ALLOCATORS: Dict[str, Allocator] = {
    a.name: a
    for a in (
        Allocator("jemalloc", "libjemalloc.so.2", "libjemalloc2"),
        Allocator("mimalloc", "libmimalloc.so.2", "libmimalloc2.0"),
        Allocator("tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
    )
}
PRELOAD_VARIABLE = "LD_PRELOAD"

#: The value the numpy.full and numba.full paths write.
FULL_VALUE = 0

_PATH_LIST = (
    PathInfo("numpy.zeros", "np.zeros from Python: calloc", 0),
    PathInfo("numpy.empty", "np.empty from Python: malloc, no fill", None),
    PathInfo("numpy.ones", "np.ones from Python: empty + fill", 1),
    PathInfo("numpy.full", "np.full(shape, 0) from Python", FULL_VALUE),
    PathInfo("numpy.zeros_like", "np.zeros_like of an existing array, from Python", 0),
    PathInfo("numba.zeros", "np.zeros inside @njit", 0),
    PathInfo("numba.empty", "np.empty inside @njit, no fill", None),
    PathInfo(
        "numba.empty_loop",
        "np.empty + nested-loop fill with 0 inside @njit (the seed's numba_loop)",
        0,
    ),
    PathInfo("numba.empty_slice_fill", "np.empty + a[:] = 0 inside @njit", 0),
    PathInfo("numba.ones", "np.ones inside @njit", 1),
    PathInfo("numba.full", "np.full(shape, 0) inside @njit", FULL_VALUE),
    PathInfo("numba.zeros_like", "np.zeros_like of an existing array, inside @njit", 0),
    PathInfo(
        "mixed.zeros_in",
        "np.zeros in Python, passed into an @njit function (the seed's mixed_numba1)",
        0,
    ),
    PathInfo("mixed.objmode_zeros", "np.zeros inside numba.objmode within an @njit function", 0),
    PathInfo(
        "allocbench.zeros",
        "allocbench.zeros inside @njit: calloc + numpy's huge-page advice, owned by numba's NRT",
        0,
    ),
)

#: Every allocation path, by stable name, in display order.
PATH_INFO: Dict[str, PathInfo] = {p.name: p for p in _PATH_LIST}
PATH_NAMES: Tuple[str, ...] = tuple(PATH_INFO)

#: The paths worth repeating for other dtypes, 2-D shapes and fresh processes.
HEADLINE_PATHS = (
    "numpy.zeros",
    "numpy.empty",
    "numba.zeros",
    "numba.empty",
    "mixed.zeros_in",
    "allocbench.zeros",
)

#: For each compiled path, the numpy path that does the same work (allocate, and write every
#: element where the path does): its time over the control's, both timed alternately in one
#: process, is the history's regression figure, since machine noise moves both alike.
CONTROLS = {
    "numba.zeros": "numpy.full",
    "numba.empty": "numpy.empty",
    "numba.ones": "numpy.ones",
    "numba.zeros_like": "numpy.full",
    "mixed.zeros_in": "numpy.zeros",
    "allocbench.zeros": "numpy.zeros",
}

#: The paths the run-time switch and the patched numba change (numba's np.zeros, np.zeros_like).
SWITCHED_PATHS = ("numba.zeros", "numba.zeros_like")

#: The paths whose compiled code `allocbench explain` and bench_explain read.
EXPLAINED_PATHS = ("numba.zeros", "numba.zeros_like", "numba.empty", "allocbench.zeros")

#: numpy's huge-page advice on and off: numpy's paths, and numba's as the control.
ADVICE_PATHS = ("numpy.zeros", "numpy.empty", "numba.zeros", "numba.empty")

#: Allocation + write in the history: numpy's and numba's zeros, the fix, and np.empty in @njit
#: (the advice for arrays whose every element is written anyway).
WRITE_PATHS = ("numpy.zeros", "numba.zeros", "numba.empty", "allocbench.zeros")

#: The paths whose thread scaling and first call the history measures in every release
#: (numba's np.zeros); the others' once, for the newest release.
EVERY_RELEASE_PATHS = ("numba.zeros",)

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: glibc's largest dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX),
#: where the seed saw its cliff.
MMAP_THRESHOLD_MAX = 32 * MiB

#: Log-spaced, a factor of 4 apart, from 4 KiB to 1 GiB.
LOG_SIZES = tuple(4**k * 4 * KiB for k in range(10))

#: Tight points on both sides of 32 MiB: one page under, exactly, one page over, and 1-2 MiB away.
NEAR_32MIB = (
    30 * MiB,
    31 * MiB,
    MMAP_THRESHOLD_MAX - 4 * KiB,
    MMAP_THRESHOLD_MAX,
    MMAP_THRESHOLD_MAX + 4 * KiB,
    33 * MiB,
    34 * MiB,
)

#: Allocation alone: the full grid.
ALLOC_SIZES = tuple(sorted(set(LOG_SIZES) | set(NEAR_32MIB)))

#: Allocation + first use: a factor of 16 apart, plus one page either side of 32 MiB.
USE_SIZES = (
    4 * KiB,
    64 * KiB,
    1 * MiB,
    16 * MiB,
    MMAP_THRESHOLD_MAX - 4 * KiB,
    MMAP_THRESHOLD_MAX,
    256 * MiB,
    1 * GiB,
)

#: Page faults and resident memory: as USE_SIZES without 1 GiB (both scale linearly above 32 MiB).
TRACK_SIZES = USE_SIZES[:-1]

#: dtype and 2-D variants: one size under the cliff, one at the cliff, one far above.
LAYOUT_SIZES = (64 * KiB, 16 * MiB, 256 * MiB)

#: The release history: under, around and far above the cliff, for allocation alone ...
HISTORY_SIZES = (64 * KiB, 1 * MiB, 16 * MiB, MMAP_THRESHOLD_MAX - 4 * KiB, MMAP_THRESHOLD_MAX,
                 256 * MiB)  # fmt: skip
#: ... and for allocation + writing every element.
USE_HISTORY_SIZES = (16 * MiB, 256 * MiB)

#: numpy's huge-page advice on and off, and numba's np.zeros over the fix: at the cliff and
#: far above it.
ADVICE_SIZES = (16 * MiB, 256 * MiB)

#: The fix allocating inside one @njit loop: where the call boundary would dominate.
INSIDE_NJIT_SIZES = (4 * KiB, 64 * KiB, 1 * MiB, 16 * MiB)

#: Where each compiled path is timed against its control: under the cliff, at it, far above.
CONTROL_SIZES = (64 * KiB, 16 * MiB, 256 * MiB)

#: First call in a fresh process against steady state.
FRESH_SIZES = (1 * MiB, 16 * MiB, 256 * MiB)

#: The seed's figure: n for its (n, n) float64 arrays, 0 to 4080 in steps of 40 (0 to 127
#: MiB; the seed stepped by 10 up to 4100), and 2047 and 2048 (2048 x 2048 x 8 is 32 MiB).
SWEEP_NS = tuple(sorted({*range(0, 4096, 40), 2047, 2048}))

#: The dtypes every path supports; the first is the suite's default.
DTYPES = ("float64", "float32", "int64", "uint8")

#: The Layout benchmark's variants of the default 1-D float64: other dtypes, and 2-D.
LAYOUTS = (*DTYPES[1:], "float64 2-D")

#: Where the bisected cliff's same-process ratios are taken.
RATIO_SIZES = (1 * MiB, 16 * MiB, 64 * MiB, 256 * MiB)

#: Allocation from several threads: small blocks, where numba's runtime counters are shared
#: (numba issue 8101), and blocks above the mmap threshold, each faulted in by its thread.
THREAD_SIZES = (64 * KiB, 64 * MiB)

#: Threads allocating at once: one, two, and every core of the machine.
THREAD_COUNTS = ("1", "2", "all")

#: How threads allocate: a prange loop in @njit(parallel=True), or nogil @njit functions
#: called from Python threads.
THREAD_MODES = ("prange", "threads")

#: The paths allocated from threads: numba's np.zeros and np.empty, and the fix.
THREAD_PATHS = ("numba.zeros", "numba.empty", "allocbench.zeros")

#: Allocation inside one @njit loop, without the call boundary, over a loop that allocates
#: nothing: numba's np.empty and np.zeros, and the fix.
INLOOP_PATHS = ("numba.empty", "numba.zeros", "allocbench.zeros")

#: Where the call boundary would hide the allocation's own cost: 8 B upward.
INLOOP_SIZES = (8, 64, 1 * KiB, 64 * KiB)

#: The same, with numba's runtime counting every allocation and free (its statistics, which
#: numba 0.57 on keep only when asked): numba's own paths, where the counting costs most.
INLOOP_COUNTING_PATHS = ("numba.empty", "numba.zeros")
INLOOP_COUNTING_SIZES = (8,)

#: A per-call path's parts (allocbench.harness.anatomy): calling @njit code from Python,
#: unboxing an array argument, boxing a returned array, allocating, filling.
ANATOMY_PARTS = ("call", "unbox", "box", "alloc", "fill")

#: Where the parts are tracked: the smallest array, where the call is nearly everything, and
#: 64 KiB, where numba 0.54.0's step in every compiled path over its numpy control was seen.
ANATOMY_SIZES = (8, 64 * KiB)

#: The size whose numba/numpy ratio is the headline figure.
HEADLINE_SIZE = 256 * MiB

#: Every named grid, for ``allocbench sizes``.
GRIDS = {
    "alloc": ALLOC_SIZES,
    "use": USE_SIZES,
    "track": TRACK_SIZES,
    "layout": LAYOUT_SIZES,
    "fresh": FRESH_SIZES,
    "history": HISTORY_SIZES,
    "history-write": USE_HISTORY_SIZES,
    "threads": THREAD_SIZES,
}


def _off_whole(nbytes: int, whole: int, unit: int, name: str) -> str:
    """`nbytes` as `whole` units and what it is off them, in KiB where that is whole."""
    offset = nbytes - whole * unit
    rest = f"{abs(offset) // KiB} KiB" if offset % KiB == 0 else f"{abs(offset)} B"
    return f"{whole} {name} {'+' if offset > 0 else '-'} {rest}"


def format_size(nbytes: int) -> str:
    """Human-readable size, which size_bytes reads back: '4 KiB', '32 MiB', '1 GiB', '100 B'.

    A size less than 1/8 MiB off a whole MiB is written that way, as the cliff's neighbours
    are: '32 MiB - 4 KiB', '32 MiB - 4119 B'; any other size of 1 KiB or more that is not a
    whole KiB, as the nearest whole KiB and the bytes off it: '128 KiB - 23 B'.
    """
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if nbytes >= unit and nbytes % unit == 0:
            return f"{nbytes // unit} {name}"
    whole = round(nbytes / MiB)
    if whole and abs(nbytes - whole * MiB) < MiB // 8:
        return _off_whole(nbytes, whole, MiB, "MiB")
    if nbytes >= KiB and nbytes % KiB == 0:
        return f"{nbytes // KiB} KiB"
    if nbytes >= KiB:
        return _off_whole(nbytes, round(nbytes / KiB), KiB, "KiB")
    return f"{nbytes} B"


def format_bytes(nbytes: int) -> str:
    """A size to the byte, with format_size's words where they say more: '33,550,313 bytes
    (32 MiB - 4119 B)', '135,168 bytes (132 KiB)', '100 bytes'."""
    words = format_size(nbytes)
    return f"{nbytes:,} bytes" + ("" if words == f"{nbytes} B" else f" ({words})")


def size_bytes(label: str) -> int:
    """The bytes of a size written by format_size ('32 MiB - 4 KiB' -> 33550336)."""
    units = {"B": 1, "KiB": KiB, "MiB": MiB, "GiB": GiB}
    words = label.split()
    try:
        total = int(words[0]) * units[words[1]]
        if len(words) == 5 and words[2] in "+-":
            total += (1 if words[2] == "+" else -1) * int(words[3]) * units[words[4]]
        elif len(words) != 2:
            raise ValueError(label)
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"not a size like '4 KiB' or '32 MiB - 4 KiB': {label!r}") from None
    return total


def size_labels(sizes: Tuple[int, ...]) -> List[str]:
    """The sizes as benchmark parameters: labels, so that asv draws them evenly spaced and
    named on its size axis (it draws numbers on a linear axis, where everything under the
    largest is squashed against zero)."""
    return [format_size(n) for n in sizes]


class Modules:
    """The modules of benchmarks/, by name."""

    ALLOC = "bench_alloc"
    ANATOMY = "bench_anatomy"
    CLIFF = "bench_cliff"
    COMPILE = "bench_compile"
    EXPLAIN = "bench_explain"
    FIX = "bench_fix"
    FRESH = "bench_fresh"
    INLOOP = "bench_inloop"
    MACHINE = "bench_machine"
    MEMORY = "bench_memory"
    RATIO = "bench_ratio"
    SEED = "bench_seed"
    THREADS = "bench_threads"

    @classmethod
    def all(cls) -> Tuple[str, ...]:
        """Every module named here."""
        return tuple(v for k, v in vars(cls).items() if k.isupper())


class BenchClass(NamedTuple):
    """A benchmark class of benchmarks/: its module, its name, and its parameters' names in
    order. asv names each of its benchmarks ``module.Class.method(value, ...)``, every value
    written as its repr."""

    module: str
    name: str
    param_names: Tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``module.Class``."""
        return f"{self.module}.{self.name}"

    def method(self, method: str) -> str:
        """The benchmark id of its `method`: ``module.Class.method``."""
        return f"{self.id}.{method}"


class Classes:
    """Every benchmark class of benchmarks/, with its parameters' names; a test checks them
    against what asv discovers there."""

    ALLOC = BenchClass(Modules.ALLOC, "Alloc", ("path", "size"))
    ALLOC_AND_WRITE = BenchClass(Modules.ALLOC, "AllocAndWrite", ("path", "size"))
    LAYOUT = BenchClass(Modules.ALLOC, "Layout", ("path", "layout", "size"))
    HUGE_PAGE_ADVICE = BenchClass(Modules.ALLOC, "HugePageAdvice", ("path", "numpy_advice", "size"))
    ANATOMY = BenchClass(Modules.ANATOMY, "Anatomy", ("part", "size"))
    CLIFF = BenchClass(Modules.CLIFF, "Cliff")
    CLIFF_PREDICTED = BenchClass(Modules.CLIFF, "CliffPredicted")
    CLIFF_ONE_PROCESS = BenchClass(Modules.CLIFF, "CliffOneProcess")
    CLIFF_RATIO = BenchClass(Modules.CLIFF, "CliffRatio", ("size",))
    IMPORT_TIME = BenchClass(Modules.COMPILE, "ImportTime")
    FIRST_CALL = BenchClass(Modules.COMPILE, "FirstCall", ("path",))
    COMPILED_CODE = BenchClass(Modules.EXPLAIN, "CompiledCode", ("path",))
    FIX_AGAINST_NUMPY = BenchClass(Modules.FIX, "FixAgainstNumpy", ("size", "use"))
    FIX_AGAINST_NUMBA = BenchClass(Modules.FIX, "FixAgainstNumba", ("size",))
    FIX_INSIDE_NJIT = BenchClass(Modules.FIX, "FixInsideNjit", ("size", "use"))
    NUMBA_ZEROS_OVER_NUMPY = BenchClass(Modules.FIX, "NumbaZerosOverNumpy", ("size", "use"))
    FRESH_PROCESS = BenchClass(Modules.FRESH, "FreshProcess", ("path", "size"))
    IN_LOOP = BenchClass(Modules.INLOOP, "InLoop", ("path", "size"))
    IN_LOOP_COUNTING = BenchClass(Modules.INLOOP, "InLoopCounting", ("path", "size"))
    GLIBC = BenchClass(Modules.MACHINE, "Glibc")
    KERNEL = BenchClass(Modules.MACHINE, "Kernel")
    TRANSPARENT_HUGEPAGES = BenchClass(Modules.MACHINE, "TransparentHugepages")
    HARDWARE = BenchClass(Modules.MACHINE, "Hardware")
    PAGE_FAULTS = BenchClass(Modules.MEMORY, "PageFaults", ("path", "size"))
    RESIDENT_MEMORY = BenchClass(Modules.MEMORY, "ResidentMemory", ("path", "size"))
    OVER_CONTROL = BenchClass(Modules.RATIO, "OverControl", ("path", "size"))
    SEED_QUESTION = BenchClass(Modules.SEED, "SeedQuestion", ("n",))
    SEED_PLOT = BenchClass(Modules.SEED, "SeedPlot", ("n",))
    SEED_SWEEP = BenchClass(Modules.SEED, "SeedSweep", ("n",))
    THREADED_ALLOC = BenchClass(
        Modules.THREADS, "ThreadedAlloc", ("path", "mode", "threads", "size")
    )
    THREAD_SCALING = BenchClass(Modules.THREADS, "ThreadScaling", ("path", "mode", "size"))

    @classmethod
    def all(cls) -> Tuple[BenchClass, ...]:
        """Every class named here."""
        return tuple(v for k, v in vars(cls).items() if k.isupper())

    @classmethod
    def of(cls, bench_id: str) -> BenchClass:
        """The class whose benchmark `bench_id` (``module.Class.method``) is."""
        for each in cls.all():
            if bench_id.startswith(each.id + "."):
                return each
        raise KeyError(f"no benchmark class of the catalog has {bench_id!r}")


class Bench:
    """The benchmark ids (``module.Class.method``) that the report, the history and the tests
    name; benchmarks/ defines them, and a test checks every one exists there."""

    ALLOC = Classes.ALLOC.method("time_alloc")
    WRITE = Classes.ALLOC_AND_WRITE.method("time_alloc_and_write")
    CLIFF_NUMPY = Classes.CLIFF.method("track_numpy_zeros_lazy_from")
    CLIFF_NUMBA = Classes.CLIFF.method("track_numba_zeros_faults_every_page_from")
    CLIFF_RATIO = Classes.CLIFF_RATIO.method("track_numba_over_numpy")
    CLIFF_NUMPY_PREDICTED = Classes.CLIFF_PREDICTED.method("track_numpy_zeros_lazy_from")
    CLIFF_NUMBA_PREDICTED = Classes.CLIFF_PREDICTED.method(
        "track_numba_zeros_faults_every_page_from"
    )
    GLIBC = Classes.GLIBC.method("track_glibc_version")
    THP = Classes.TRANSPARENT_HUGEPAGES.method("track_transparent_hugepages")
    PAGE = Classes.KERNEL.method("track_page_size")
    FRESH_FIRST = Classes.FRESH_PROCESS.method("track_first_call_seconds")
    FRESH_STEADY = Classes.FRESH_PROCESS.method("track_steady_seconds")
    SEED_NUMBA = Classes.SEED_PLOT.method("time_numba_zeros")
    SWEEP_NUMPY = Classes.SEED_SWEEP.method("track_numpy_zeros")
    SWEEP_NUMBA = Classes.SEED_SWEEP.method("track_numba_zeros")
    SWEEP_LOOP = Classes.SEED_SWEEP.method("track_numba_loop")
    SEED_NUMPY = Classes.SEED_PLOT.method("time_numpy_zeros")
    RESIDENT = Classes.RESIDENT_MEMORY.method("track_resident_added")
    FIX_NUMPY = Classes.FIX_AGAINST_NUMPY.method("track_allocbench_over_numpy")
    NUMBA_OVER_NUMPY = Classes.NUMBA_ZEROS_OVER_NUMPY.method("track_numba_zeros_over_numpy")
    FAULTS_ALLOC = Classes.PAGE_FAULTS.method("track_faults_alloc")
    FAULTS_WRITE = Classes.PAGE_FAULTS.method("track_faults_alloc_and_write")
    PAGES_FAULTED = Classes.PAGE_FAULTS.method("track_pages_faulted_alloc")
    OVER_CONTROL = Classes.OVER_CONTROL.method("track_over_control")
    IN_LOOP = Classes.IN_LOOP.method("track_loop_over_control")
    IN_LOOP_COUNTING = Classes.IN_LOOP_COUNTING.method("track_loop_over_control_counting")
    ANATOMY = Classes.ANATOMY.method("track_seconds")
    WHOLE_BLOCK_FILLS = Classes.COMPILED_CODE.method("track_whole_block_fills")
    CALLOC_CALLS = Classes.COMPILED_CODE.method("track_calloc_calls")
    THREAD_SCALING = Classes.THREAD_SCALING.method("track_time_over_ideal")
    THREADED_ALLOC = Classes.THREADED_ALLOC.method("track_seconds_per_array")
    IMPORT_NUMBA = Classes.IMPORT_TIME.method("timeraw_import_numba")
    IMPORT_NUMPY = Classes.IMPORT_TIME.method("timeraw_import_numpy")
    FIRST_CALL = Classes.FIRST_CALL.method("timeraw_first_call")

    @classmethod
    def all(cls) -> Tuple[str, ...]:
        """Every id named here."""
        return tuple(v for k, v in vars(cls).items() if k.isupper())
