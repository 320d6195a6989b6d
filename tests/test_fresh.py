"""The fresh-process probe runs and gives sane, structured figures."""

import dataclasses

import pytest

from allocbench.catalog import MiB
from allocbench.harness import fresh

#: What `allocbench fresh --json` prints for each record, in order.
KEYS = ["path", "nbytes", "repeats", "first_seconds", "first_faults", "steady_seconds",
        "steady_faults"]  # fmt: skip


@pytest.fixture(scope="module")
def records():
    return fresh.measure(["numpy.zeros", "numba.zeros"], [64 * MiB], repeats=2)


def test_records_are_structured(records):
    assert [(r.path, r.nbytes) for r in records] == [
        ("numpy.zeros", 64 * MiB),
        ("numba.zeros", 64 * MiB),
    ]
    for r in records:
        assert list(dataclasses.asdict(r)) == KEYS and r.repeats == 2
        assert 0 < r.first_seconds < 10 and 0 < r.steady_seconds < 10
        assert r.first_faults >= 0 and r.steady_faults >= 0


def test_numba_zeros_faults_every_page_above_32mib(records):
    by_path = {r.path: r for r in records}
    pages = 64 * MiB // 4096
    # numba writes its zeros into fresh mmap'd pages: one fault per page, every call...
    assert by_path["numba.zeros"].steady_faults >= pages // 2
    # ...while numpy's calloc of fresh mmap'd pages writes nothing.
    assert by_path["numpy.zeros"].steady_faults < pages // 100


def test_measure_here_skips_sizes_that_do_not_fit(monkeypatch):
    monkeypatch.setattr(fresh, "fits_in_memory", lambda nbytes, copies=1: nbytes < MiB)
    assert fresh.measure_here(["numpy.zeros"], [2 * MiB], repeats=1) == []


def test_unknown_path_is_refused_before_anything_runs():
    with pytest.raises(ValueError, match="unknown allocation path"):
        fresh.measure(["numpy.nope"], [MiB])


def test_format_table(records):
    table = fresh.format_table(records).splitlines()
    assert len(table) == 3 and "first us" in table[0] and "64 MiB" in table[1]


def test_records_are_the_medians_of_the_runs():
    runs = [fresh.FirstAndSteady(1.0, 10, 3.0, 0), fresh.FirstAndSteady(2.0, 30, 1.0, 2),
            fresh.FirstAndSteady(9.0, 20, 2.0, 1)]  # fmt: skip
    assert fresh._medians(runs) == fresh.FirstAndSteady(2.0, 20, 2.0, 1)
