"""The benchmark classes, called directly: setup marks misfits n/a, and every method runs."""

import inspect
import math
import subprocess
import sys
import time

import pytest

from allocbench.catalog import Bench, MiB
from allocbench.harness import threads
from allocbench.harness.paths import PATHS
from benchmarks import (
    bench_alloc,
    bench_anatomy,
    bench_cliff,
    bench_compile,
    bench_explain,
    bench_fix,
    bench_fresh,
    bench_inloop,
    bench_machine,
    bench_memory,
    bench_ratio,
    bench_seed,
    bench_threads,
    common,
)


@pytest.fixture(autouse=True)
def _any_spread_is_steady(monkeypatch):
    """These tests check that the figures run and what is n/a for its work, not the spread
    bound (tests/test_sameprocess.py does), which a busy machine misses."""
    from allocbench.harness import measure

    monkeypatch.setattr(measure, "SPREAD_BOUND", 10.0)


MODULES = (
    bench_alloc,
    bench_anatomy,
    bench_memory,
    bench_fresh,
    bench_seed,
    bench_cliff,
    bench_machine,
    bench_fix,
    bench_explain,
    bench_ratio,
    bench_threads,
    bench_inloop,
    bench_compile,
)


def _classes():
    """The benchmark classes as asv finds them: a module's own, not named with a leading _."""
    for module in MODULES:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and not name.startswith("_"):
                yield cls


def _methods(cls, prefixes=("time_", "track_", "timeraw_")):
    """Its benchmark methods, inherited ones included, as asv finds them."""
    return [m for m in dir(cls) if m.startswith(prefixes)]


def test_every_class_and_method_has_a_docstring():
    for cls in _classes():
        assert inspect.getdoc(cls), cls
        methods = _methods(cls)
        assert methods, cls
        for name in methods:
            assert inspect.getdoc(getattr(cls, name)), f"{cls.__name__}.{name}"
            if name.startswith("track_"):
                assert getattr(cls, name).unit in (
                    "faults",
                    "bytes",
                    "seconds",
                    "ratio",
                    "version",
                    "mode",
                    "flag",
                    "calls",
                    "cores",
                    "fraction",
                )


def test_every_benchmark_id_the_catalog_names_exists():
    defined = {
        f"{cls.__module__.split('.')[-1]}.{cls.__name__}.{name}"
        for cls in _classes()
        for name in _methods(cls)
        if name.startswith(("time_", "track_", "timeraw_"))
    }
    missing = set(Bench.all()) - defined
    assert not missing, missing


def test_params_come_from_the_registry():
    assert bench_alloc.Alloc.params[0] == list(PATHS)
    assert set(common.HEADLINE_PATHS) <= set(PATHS)


def test_size_that_does_not_fit_is_na(monkeypatch):
    monkeypatch.setattr(common, "fits_in_memory", lambda nbytes, copies=1: nbytes < 64 * MiB)
    bench = bench_alloc.Alloc()
    with pytest.raises(NotImplementedError, match="does not fit"):
        bench.setup("numba.zeros", "256 MiB")
    bench.setup("numba.zeros", "1 MiB")
    seed = bench_seed.SeedQuestion()
    with pytest.raises(NotImplementedError, match="does not fit"):
        seed.setup(10000)


@pytest.mark.parametrize(
    "cls, method",
    [(bench_alloc.Alloc, "time_alloc"), (bench_alloc.AllocAndWrite, "time_alloc_and_write")],
)
def test_time_methods_run(cls, method):
    bench = cls()
    bench.setup("numba.empty_loop", "1 MiB")
    assert getattr(bench, method)("numba.empty_loop", "1 MiB") is None


def test_layout_parses_its_layouts():
    bench = bench_alloc.Layout()
    for layout in bench_alloc.Layout.params[1]:
        bench.setup("numba.zeros", layout, "64 KiB")
        array = bench.alloc()
        dtype, _, dims = layout.partition(" ")
        assert array.dtype == dtype and array.ndim == (2 if dims else 1)
        assert array.nbytes == 64 * 1024


def test_page_faults_tell_eager_from_lazy_zeroing():
    faults = {}
    for path in ("numpy.zeros", "numba.zeros"):
        bench = bench_memory.PageFaults()
        bench.setup(path, "64 MiB")
        faults[path] = bench.track_faults_alloc(path, "64 MiB")
        written = bench.track_faults_alloc_and_write(path, "64 MiB")
        assert written >= 64 * MiB // (2 * MiB)  # writing always faults, at least per huge page
    assert faults["numba.zeros"] >= 64 * MiB // 4096 // 2
    assert faults["numpy.zeros"] <= 16


def test_resident_memory_tells_eager_from_lazy_zeroing():
    added = {}
    for path in ("numpy.zeros", "numba.zeros"):
        bench = bench_memory.ResidentMemory()
        bench.setup(path, "64 MiB")
        added[path] = bench.track_resident_added(path, "64 MiB")
    assert added["numba.zeros"] >= 60 * MiB
    assert added["numpy.zeros"] <= 1 * MiB


def test_fresh_process_benchmark(monkeypatch):
    monkeypatch.setattr(bench_fresh, "FRESH_SIZES", (16 * MiB,))
    monkeypatch.setattr(bench_fresh, "HEADLINE_PATHS", ["numba.zeros"])
    bench = bench_fresh.FreshProcess()
    figures = bench.setup_cache()
    bench.setup(figures, "numba.zeros", "16 MiB")
    # The first 16 MiB block comes from fresh mmap'd pages: numba zeroes and faults each one.
    assert bench.track_first_call_faults(figures, "numba.zeros", "16 MiB") >= 16 * MiB // 4096 // 2
    assert bench.track_first_call_seconds(figures, "numba.zeros", "16 MiB") > 0
    with pytest.raises(NotImplementedError):
        bench.setup(figures, "numba.zeros", "1 MiB")


def test_seed_benchmarks_run(monkeypatch):
    bench = bench_seed.SeedPlot()
    bench.setup(1000)  # compiles the seed's functions, before they are spied on
    made = {}

    def spy(name, real):
        return lambda n: made.setdefault(name, []).append((n, real(n)))

    # Each timed method makes the seed's own array, and only that one: which function it
    # called, with which n, and what that gave.
    expected = {"numpy_zeros": (10**6, "float64"), "numba_zeros": (10**6, "float64"),
                "numba_loop": (2 * 10**6, "float32")}  # fmt: skip
    for name in expected:
        monkeypatch.setattr(bench_seed.seed, name, spy(name, getattr(bench_seed.seed, name)))
    for name, (length, dtype) in expected.items():
        made.clear()
        getattr(bench, "time_" + name)(1000)
        calls = made.pop(name, [])
        assert len(calls) == 1 and not made, f"time_{name} called {name} {len(calls)}x, {made}"
        ((n, array),) = calls
        assert n == 1000, name
        assert array.shape == (length,) and array.dtype == dtype and not array.any(), name


def test_huge_page_advice_switch_is_restored():
    if bench_alloc._set_madvise_hugepage is None:
        pytest.skip("this numpy has no huge-page switch")
    bench = bench_alloc.HugePageAdvice()
    before = bench_alloc._set_madvise_hugepage(True)
    bench.setup("numpy.zeros", "off", "16 MiB")
    assert bench_alloc._set_madvise_hugepage(False) is False  # setup turned it off
    bench.teardown("numpy.zeros", "off", "16 MiB")
    assert bench_alloc._set_madvise_hugepage(before) is True  # teardown turned it back on


def test_machine_facts_run_or_are_na():
    for cls in (bench_machine.Glibc, bench_machine.Kernel, bench_machine.TransparentHugepages):
        bench = cls()
        try:
            getattr(bench, "setup", lambda: None)()
        except NotImplementedError:
            continue
        for name in _methods(cls, ("track_",)):
            value = getattr(bench, name)()
            assert isinstance(value, (int, float)) and value >= 0


def test_tunables_without_glibc_are_na(monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")
    monkeypatch.setattr(common, "glibc_version", lambda: None)
    with pytest.raises(NotImplementedError, match="not glibc"):
        bench_alloc.Alloc().setup("numpy.zeros", "1 MiB")
    figures = bench_cliff._locate(None)
    with pytest.raises(NotImplementedError, match="not glibc"):
        bench_cliff.Cliff().setup(figures)


def test_fix_ratio_runs():
    value = bench_fix.FixAgainstNumpy().track_allocbench_over_numpy("1 MiB", "write")
    assert 0.1 < value < 10


def test_inside_njit_ratio_runs():
    bench = bench_fix.FixInsideNjit()
    for use in ("alone", "write"):
        assert 0.01 < bench.track_allocbench_in_njit_over_numpy("64 KiB", use) < 100


def test_every_class_has_an_explicit_version():
    # asv otherwise versions a benchmark by its source, so a docstring edit would orphan
    # every result measured before it.
    for cls in _classes():
        assert isinstance(vars(cls).get("version"), str), cls


@pytest.mark.parametrize("mode", ["prange", "threads"])
def test_threaded_allocation_runs(mode):
    bench = bench_threads.ThreadedAlloc()
    bench.setup("numba.zeros", mode, "2", "64 KiB")
    seconds = bench.track_seconds_per_array("numba.zeros", mode, "2", "64 KiB")
    assert 1e-9 < seconds < 1e-2


def test_np_empty_in_prange_is_measured():
    # The loop allocates through a separate @njit function, which numba does not hoist out of
    # the prange loop (tests/test_threads.py plants one it does).
    bench = bench_threads.ThreadedAlloc()
    bench.setup("numba.empty", "prange", "1", "64 KiB")
    assert 1e-9 < bench.track_seconds_per_array("numba.empty", "prange", "1", "64 KiB") < 1e-2


@pytest.mark.parametrize("cls", [bench_threads.ThreadedAlloc, bench_threads.ThreadScaling])
def test_prange_is_na_in_its_setup_where_numba_cannot_set_its_thread_count(cls, monkeypatch):
    # numba 0.48 has no set_num_threads; asv counts NotImplementedError as n/a only in setup.
    monkeypatch.setattr(threads, "can_set_threads", lambda: False)
    counts = ("1",) if cls is bench_threads.ThreadedAlloc else ()
    with pytest.raises(NotImplementedError, match="thread count"):
        cls().setup("numba.zeros", "prange", *counts, "64 KiB")


@pytest.mark.skipif(threads.cores() < 2, reason="one core")
def test_parallel_efficiency_is_a_fraction():
    figures = threads.parallel_efficiency("allocbench.zeros", "threads", 64 * 1024, 2, rounds=3)
    assert figures.one_thread_seconds > 0 and figures.seconds > 0
    # two threads are at best twice as fast as one, and never 10x slower
    assert 0.05 < figures.efficiency < 1.5


@pytest.mark.parametrize(
    "code",
    [
        bench_compile.ImportTime().timeraw_import_numba(),
        *(
            bench_compile.FirstCall().timeraw_first_call(p)
            for p in bench_compile.FirstCall.params[0]
        ),
    ],
)
def test_fresh_interpreter_code_runs(code):
    stmt, setup = code if isinstance(code, tuple) else (code, "")
    done = subprocess.run(
        [sys.executable, "-c", setup + "\n" + stmt], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_track_too_noisy_for_its_bound_is_nan_which_asv_shows_as_na(monkeypatch, capsys):
    from allocbench.harness import measure, sameprocess
    from benchmarks import bench_fix

    def too_noisy(*args, **kwargs):
        raise measure.TooNoisy("too noisy here: planted spread")

    monkeypatch.setattr(sameprocess, "ratio", too_noisy)
    figure = bench_fix.FixAgainstNumpy().track_allocbench_over_numpy("64 KiB", "alone")
    assert math.isnan(figure)
    assert "too noisy here: planted spread" in capsys.readouterr().err


def test_every_timed_class_takes_cpu_time_for_asvs_clock():
    from benchmarks import bench_alloc, bench_seed, common

    timed = [c for m in (bench_alloc, bench_seed) for c in vars(m).values()
             if isinstance(c, type) and any(n.startswith("time_") for n in vars(c))]  # fmt: skip
    assert len(timed) >= 6
    assert all(c.timer is time.process_time for c in timed), [c for c in timed]
    assert issubclass(bench_alloc.Alloc, common.OneRound)
