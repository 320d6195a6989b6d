"""The cliff: bisection and step checks on synthetic predicates, the model of glibc's rules
(`allocbench.harness.glibc`) against those rules written out here, the isolation the probes
run in, and real runs of ``allocbench cliff`` with and without glibc tunables."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from allocbench.catalog import KiB, MiB
from allocbench.cli import main
from allocbench.harness import cliff, glibc, isolated, probes
from allocbench.harness.probes import glibc_version

PAGE = 4096
DEFAULT = glibc.malloc_settings({})
NUMBA_HEADER = glibc.numba_request_header((0, 68))


def counting(step_at, calls, holds_also=lambda n: False):
    def predicate(nbytes):
        calls.append(nbytes)
        return nbytes >= step_at or holds_also(nbytes)

    return predicate


@pytest.mark.parametrize("step_at", [131049, 33550201, 33550313, 32 * MiB, 32 * MiB + 1, 63 * MiB])
def test_bisection_finds_a_known_step_to_the_byte(step_at):
    calls = []
    assert cliff.bisect_step(counting(step_at, calls), 16 * KiB, 64 * MiB) == step_at
    assert len(calls) <= 2 + 26  # the two ends, then log2(64 MiB) halvings


@pytest.mark.parametrize("step_at", [PAGE * 257, 32 * MiB - PAGE, 32 * MiB + PAGE])
def test_bisection_by_pages_finds_the_page(step_at):
    assert cliff.bisect_step(lambda n: n >= step_at - 5, 0, 64 * MiB, PAGE) == step_at


def test_a_right_guess_ends_the_search_and_a_wrong_one_only_narrows_it():
    calls = []
    assert cliff.bisect_step(counting(33550313, calls), 16 * KiB, 64 * MiB, guess=33550313) == (
        33550313
    )
    assert len(calls) == 4
    for guess in (33550312, 33550314, 20 * MiB, 40 * MiB, 64 * MiB + 5):
        assert cliff.bisect_step(counting(33550313, []), 16 * KiB, 64 * MiB, guess=guess) == (
            33550313
        )


def test_bisection_refuses_a_predicate_that_does_not_switch():
    with pytest.raises(cliff.NoCliff, match="does not switch"):
        cliff.bisect_step(lambda n: True, 0, 64 * PAGE, PAGE)
    with pytest.raises(cliff.NoCliff, match="does not switch"):
        cliff.bisect_step(lambda n: False, 0, 64 * PAGE, PAGE)
    with pytest.raises(ValueError, match="multiples"):
        cliff.bisect_step(lambda n: n > 5, 1, 64 * PAGE, PAGE)


def test_a_single_step_is_verified_around_it():
    calls = []
    step = cliff.locate_step(counting(33550313, calls), 16 * KiB, 64 * MiB, PAGE)
    assert step == (33550313, 33550313, len(set(calls))) and step.monotone
    assert {33550313 - 16, 33550313 + PAGE, 1 * MiB} <= set(calls)


def test_a_predicate_that_also_holds_below_its_step_is_reported_with_its_range():
    def island(n):
        return 200_000 <= n < 300_000

    step = cliff.locate_step(counting(33550313, [], island), 16 * KiB, 64 * MiB, PAGE)
    assert not step.monotone
    assert (step.first, step.always_from) == (200_000, 33550313)


def test_fault_predicates():
    assert cliff.lazy(32 * MiB, in_alloc=1, in_write=527)
    assert not cliff.lazy(32 * MiB, in_alloc=0, in_write=0)  # reused and zeroed by memset
    assert not cliff.lazy(32 * MiB, in_alloc=8193, in_write=0)  # re-grown heap, memset
    assert not cliff.lazy(16 * KiB, in_alloc=0, in_write=0.33)
    assert cliff.faults_every_page(32 * MiB, 8193, PAGE)
    assert not cliff.faults_every_page(32 * MiB, 1, PAGE)


def test_glibc_rules_by_default():
    # A 32 MiB mapping (size | IS_MMAPPED > DEFAULT_MMAP_THRESHOLD_MAX) never raises the
    # threshold; its chunk is request + 8 rounded up to 16, its mapping chunk + 8 in pages.
    assert DEFAULT.dynamic and DEFAULT.mmap_threshold == 128 * KiB
    assert glibc.predicted_from(0, PAGE, DEFAULT) == 32 * MiB - PAGE - 23
    assert glibc.mapped_size(glibc.chunk_size(32 * MiB - PAGE - 23), PAGE) == 32 * MiB
    assert glibc.mapped_size(glibc.chunk_size(32 * MiB - PAGE - 24), PAGE) == 32 * MiB - PAGE
    assert glibc.predicted_from(NUMBA_HEADER, PAGE, DEFAULT) == 32 * MiB - PAGE - 23 - 112
    assert glibc.predicted_from(0, 64 * KiB, DEFAULT) == 32 * MiB - 64 * KiB - 23


@pytest.mark.parametrize(
    "tunables",
    [{"mmap_threshold": 131072}, {"trim_threshold": 2**64 - 1}, {"top_pad": 0},
     {"mmap_max": 65536}],
)  # fmt: skip
def test_glibc_rules_with_a_fixed_threshold(tunables):
    malloc = glibc.malloc_settings(tunables)
    assert not malloc.dynamic
    assert glibc.predicted_from(0, PAGE, malloc) == 128 * KiB - 23
    assert glibc.predicted_from(NUMBA_HEADER, PAGE, malloc) == 128 * KiB - 23 - 112
    moved = glibc.malloc_settings(dict(tunables, mmap_threshold=1 * MiB))
    assert glibc.predicted_from(0, PAGE, moved) == 1 * MiB - 23


def test_glibc_rules_with_the_heap_a_child_inherits():
    fixed = glibc.malloc_settings({"trim_threshold": 2**64 - 1})
    # Measured on this machine: a 434,528-byte top chunk serves every request that fits.
    assert glibc.predicted_from(0, PAGE, fixed, glibc.HeapState(top=434528)) == 434489
    assert glibc.predicted_from(0, PAGE, fixed, glibc.HeapState(largest_free=400000)) == 399993
    # A top over the trim threshold is trimmed to top_pad + a partial page after one use.
    trimming = glibc.malloc_settings({"mmap_threshold": 131072})
    assert glibc.predicted_from(0, PAGE, trimming, glibc.HeapState(top=300000)) == 132025
    assert glibc.predicted_from(0, PAGE, DEFAULT, glibc.HeapState(top=434528)) == (
        32 * MiB - PAGE - 23
    )


def test_glibc_rules_without_a_step_or_a_model():
    with pytest.raises(glibc.NoCliff, match="mmap_max"):
        glibc.predicted_from(0, PAGE, glibc.malloc_settings({"mmap_max": 0}))
    with pytest.raises(NotImplementedError, match="hugetlb"):
        glibc.malloc_settings({"hugetlb": 1})
    # Before glibc 2.35 a threshold over 32 MiB is refused, leaving it dynamic.
    assert glibc.malloc_settings({"mmap_threshold": 64 * MiB}, (2, 31)).dynamic
    assert not glibc.malloc_settings({"mmap_threshold": 64 * MiB}, (2, 36)).dynamic


def test_tunables_in_effect():
    environ = {
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=0x20000:glibc.malloc.top_pad=nope:"
        "glibc.rtld.nns=2:glibc.malloc.trim_threshold=18446744073709551615",
        "MALLOC_TOP_PAD_": "4096",
        "MALLOC_MMAP_THRESHOLD_": "1",
    }
    assert glibc.tunables_in_effect(environ) == {
        "mmap_threshold": 131072,
        "trim_threshold": 2**64 - 1,
        "top_pad": 4096,
    }
    assert glibc.tunables_in_effect({}) == {}


# glibc's rules as malloc/malloc.c and mallopt(3) state them, written out independently of the
# model, on 64-bit: a request's chunk is request2size(req) = (req + SIZE_SZ + MALLOC_ALIGN_MASK)
# & ~MALLOC_ALIGN_MASK, at least MINSIZE; a chunk of at least mp_.mmap_threshold is mmap'd
# (when the heap cannot serve it), in ALIGN_UP(chunk + SIZE_SZ, pagesize) bytes; freeing it
# raises the threshold when its size with IS_MMAPPED set is at most DEFAULT_MMAP_THRESHOLD_MAX
# (4 * 1024 * 1024 * sizeof(long)); setting M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD or
# M_MMAP_MAX turns that adjustment off.
SIZE_SZ, ALIGN_MASK, MINSIZE, IS_MMAPPED = 8, 15, 32, 2
THRESHOLD_MAX = 4 * 1024 * 1024 * 8


def request2size(request):
    return max(MINSIZE, (request + SIZE_SZ + ALIGN_MASK) & ~ALIGN_MASK)


def mapping(request, page):
    chunk = request2size(request)
    return (chunk + SIZE_SZ + page - 1) // page * page


def smallest(requests, holds):
    """The smallest request in `requests` where `holds` is true, all the larger ones holding."""
    requests = list(requests)
    assert not holds(requests[0]) and holds(requests[-1])
    first = next(r for r in requests if holds(r))
    assert all(holds(r) for r in requests[requests.index(first) :])
    return first


@pytest.mark.parametrize("page", [4 * KiB, 16 * KiB, 64 * KiB])
def test_model_by_default_maps_from_the_largest_threshold(page):
    # The threshold rises to every mapping it may: a size is mapped on every call only where
    # its mapping, flagged, is over the largest threshold.
    expected = smallest(
        range(THRESHOLD_MAX - 2 * page, THRESHOLD_MAX + 1),
        lambda r: mapping(r, page) | IS_MMAPPED > THRESHOLD_MAX,
    )
    assert glibc.predicted_from(0, page, DEFAULT) == expected
    assert glibc.predicted_from(NUMBA_HEADER, page, DEFAULT) == expected - NUMBA_HEADER


@pytest.mark.parametrize(
    "threshold", [128 * KiB, 200_001, 256 * KiB, 1 * MiB, 32 * MiB - 1, 32 * MiB, 64 * MiB]
)
def test_model_with_a_threshold_set_maps_from_it(threshold):
    malloc = glibc.malloc_settings({"mmap_threshold": threshold}, (2, 36))
    assert not malloc.dynamic
    expected = smallest(
        range(threshold - 64, threshold + 1), lambda r: request2size(r) >= threshold
    )
    assert glibc.predicted_from(0, PAGE, malloc) == expected
    assert glibc.predicted_from(NUMBA_HEADER, PAGE, malloc) == expected - NUMBA_HEADER


@pytest.mark.parametrize("tunable", ["trim_threshold", "top_pad", "mmap_max"])
def test_model_any_fixing_tunable_leaves_the_default_threshold_fixed(tunable):
    malloc = glibc.malloc_settings({tunable: 1 * MiB})
    assert not malloc.dynamic
    expected = smallest(
        range(128 * KiB - 64, 128 * KiB + 1), lambda r: request2size(r) >= 128 * KiB
    )
    assert glibc.predicted_from(0, PAGE, malloc) == expected


@pytest.mark.parametrize("top", [200_000, 434_528, 1 * MiB])
def test_model_a_heap_top_serves_what_fits_in_it(top):
    # malloc splits a chunk off the top when the top is at least the chunk + MINSIZE; with
    # trimming off, the top stays as large after each free.
    malloc = glibc.malloc_settings({"trim_threshold": 2**64 - 1})
    expected = smallest(range(top - 128, top + 1), lambda r: request2size(r) + MINSIZE > top)
    assert glibc.predicted_from(0, PAGE, malloc, glibc.HeapState(top=top)) == expected


@pytest.mark.parametrize("largest_free", [150_000, 400_000, 2 * MiB])
def test_model_a_free_chunk_serves_what_fits_in_it(largest_free):
    malloc = glibc.malloc_settings({"mmap_threshold": 128 * KiB})
    heap = glibc.HeapState(largest_free=largest_free)
    window = range(largest_free - 64, largest_free + 1)
    expected = smallest(window, lambda r: request2size(r) > largest_free)
    assert glibc.predicted_from(0, PAGE, malloc, heap) == expected


def test_model_request_headers_from_numba_runtime():
    # NRT_MemInfo_alloc_aligned: sizeof(NRT_MemInfo) + size + 2 * align, align = 32;
    # NRT_MemInfo is 5 pointers before numba 0.54, 6 from it.
    assert glibc.numpy_request_header() == 0
    assert glibc.numba_request_header((0, 53)) == 5 * 8 + 64
    assert glibc.numba_request_header((0, 54)) == 6 * 8 + 64


def test_request_headers():
    assert glibc.numpy_request_header() == 0
    assert NUMBA_HEADER == 6 * 8 + 2 * 32
    assert glibc.numba_request_header((0, 48)) == 5 * 8 + 2 * 32


@pytest.mark.skipif(glibc_version() is None, reason="reads glibc's heap")
def test_heap_state_reads_chunk_sizes():
    heap = probes.heap_state()
    assert heap.top % 16 == 0 and heap.largest_free % 16 == 0
    assert 0 < heap.top < 1024 * MiB


@pytest.mark.parametrize("run", [isolated.in_forked_child, isolated.in_new_interpreter])
def test_isolated_runs_carry_results_and_user_errors(run):
    if run is isolated.in_forked_child and not isolated.FORK_IS_SAFE:
        pytest.skip("fork is unsafe here")
    assert run(glibc.chunk_size, 100) == 112
    with pytest.raises(NotImplementedError, match="hugetlb"):
        run(glibc.malloc_settings, {"hugetlb": 1})
    with pytest.raises(RuntimeError, match="TypeError"):
        run(glibc.chunk_size, "not a size")


def _cliff_json(tunables=None):
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    if tunables:
        env["GLIBC_TUNABLES"] = tunables
    out = subprocess.run([sys.executable, "-m", "allocbench.cli", "cliff", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return json.loads(out)


def _check_cliffs(figures, low, high):
    page = figures["page_size"]
    for key in ("numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from"):
        one = figures[key]
        assert low < one["measured"] <= high, (key, one)
        assert one["monotone"] and one["measured"] == one["always_from"], (key, one)
        assert abs(one["measured"] - one["predicted"]) <= page, (key, one)
        assert one["one_process"] % page == 0
    numpy, numba = figures["numpy_zeros_lazy_from"], figures["numba_zeros_faults_every_page_from"]
    # numba asks malloc for its header on top of the array: its step comes that much earlier.
    assert numpy["predicted"] - numba["predicted"] == numba["request_header"] == NUMBA_HEADER


@pytest.mark.skipif(glibc_version() is None, reason="glibc's rules")
@pytest.mark.slow
def test_cliff_json_is_structured_and_sane(capsys):
    assert main(["cliff", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["glibc_malloc"]["dynamic"] and figures["prediction_unavailable"] is None
    # The heap a child inherits plays no part at 32 MiB: the prediction is exact.
    assert (
        figures["numpy_zeros_lazy_from"]["agree"]
        and figures["numba_zeros_faults_every_page_from"]["agree"]
    )
    # asv's grid sees it between 31 MiB and 32 MiB - 4 KiB.
    _check_cliffs(figures, 31 * MiB, 32 * MiB - PAGE)
    ratios = {int(k): v for k, v in figures["numba_over_numpy"].items()}
    assert ratios[256 * MiB] > 10 * ratios[1 * MiB]


TUNABLES = {
    "glibc.malloc.mmap_threshold=131072": "a fixed 128 KiB threshold",
    "glibc.malloc.trim_threshold=18446744073709551615": "trimming off: no dynamic threshold",
}


@pytest.mark.skipif(glibc_version() is None, reason="GLIBC_TUNABLES needs glibc")
@pytest.mark.parametrize("tunables", sorted(TUNABLES))
@pytest.mark.slow
def test_glibc_tunables_move_prediction_and_measurement_to_the_default_threshold(tunables):
    """With the threshold pinned (or, trimming off, no longer raised), a block of 128 KiB or
    more is mmap'd whenever the heap it inherits cannot serve it."""
    figures = _cliff_json(tunables)
    assert figures["machine"]["glibc_tunables"] == tunables
    assert not figures["glibc_malloc"]["dynamic"]
    # numba's request is 112 bytes over its array, so its step is that much under 128 KiB.
    _check_cliffs(figures, 128 * KiB - 200, 1 * MiB)
    assert figures["numba_over_numpy"][str(16 * MiB)] > 50


def _figures(**changes):
    one = cliff.StepFigures(measured=3, always_from=3, monotone=True, sizes_probed=9,
                            predicted=2, request_header=0, agree=False, one_process=4)  # fmt: skip
    figures = cliff.CliffFigures(
        machine=probes.machine_facts(),
        page_size=PAGE,
        glibc_malloc=DEFAULT,
        inherited_heap=glibc.NO_HEAP,
        numpy_zeros_lazy_from=one,
        numba_zeros_faults_every_page_from=one,
        prediction_unavailable=None,
        numba_over_numpy={1 * MiB: 1.5},
    )
    return dataclasses.replace(figures, **changes)


def test_figures_print_as_the_json_they_always_were():
    figures = json.loads(json.dumps(dataclasses.asdict(_figures())))
    assert list(figures) == ["machine", "page_size", "glibc_malloc", "inherited_heap",
                             "numpy_zeros_lazy_from", "numba_zeros_faults_every_page_from",
                             "prediction_unavailable", "numba_over_numpy"]  # fmt: skip
    assert list(figures["numpy_zeros_lazy_from"]) == ["measured", "always_from", "monotone",
                                                      "sizes_probed", "predicted",
                                                      "request_header", "agree",
                                                      "one_process"]  # fmt: skip
    assert list(figures["machine"]) == ["libc", "transparent_hugepages", "glibc_tunables",
                                        "malloc", "page_size"]  # fmt: skip
    assert list(figures["glibc_malloc"]) == ["mmap_threshold", "trim_threshold", "top_pad",
                                             "mmap_max", "dynamic"]  # fmt: skip
    assert figures["inherited_heap"] == {"top": 0, "largest_free": 0}
    assert figures["numba_over_numpy"] == {str(MiB): 1.5}


def test_typed_figures_cross_the_isolation_whole():
    if isolated.FORK_IS_SAFE:
        assert isolated.in_forked_child(_figures) == _figures()
    assert isolated.in_new_interpreter(probes.machine_facts) == probes.machine_facts()


def test_benchmarks_read_the_figures():
    from benchmarks import bench_cliff

    figures = _figures()
    for cls, value in ((bench_cliff.Cliff, 3), (bench_cliff.CliffPredicted, 2),
                       (bench_cliff.CliffOneProcess, 4)):  # fmt: skip
        bench = cls()
        bench.setup(figures)
        assert bench.track_numpy_zeros_lazy_from(figures) == value
        assert bench.track_numba_zeros_faults_every_page_from(figures) == value
    assert bench_cliff.CliffRatio().track_numba_over_numpy(figures, "1 MiB") == 1.5
    with pytest.raises(NotImplementedError, match="not glibc"):
        bench_cliff.CliffPredicted().setup(_figures(prediction_unavailable="not glibc"))
    with pytest.raises(NotImplementedError, match="no step"):
        bench_cliff.Cliff().setup("no step here")
