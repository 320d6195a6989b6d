"""The size grid is what the issue asks for, and shapes hold exactly the bytes asked."""

import numpy as np
import pytest

from allocbench import catalog as sizes
from allocbench.catalog import GiB, KiB, MiB
from allocbench.harness.paths import shape_for


def test_alloc_grid_spans_4kib_to_1gib_log_spaced():
    grid = sizes.ALLOC_SIZES
    assert grid[0] == 4 * KiB and grid[-1] == 1 * GiB
    assert list(grid) == sorted(set(grid))
    log = sizes.LOG_SIZES
    assert all(b / a == 4 for a, b in zip(log, log[1:]))


def test_alloc_grid_is_tight_on_both_sides_of_32mib():
    below = [n for n in sizes.ALLOC_SIZES if 24 * MiB < n < 32 * MiB]
    above = [n for n in sizes.ALLOC_SIZES if 32 * MiB < n < 40 * MiB]
    assert 32 * MiB - 4 * KiB in below and 32 * MiB + 4 * KiB in above
    assert len(below) >= 3 and len(above) >= 3


def test_all_sizes_are_whole_pages():
    for grid in (sizes.ALLOC_SIZES, sizes.USE_SIZES, sizes.TRACK_SIZES, sizes.FRESH_SIZES):
        assert all(n % (4 * KiB) == 0 for n in grid)
    assert set(sizes.USE_SIZES) <= set(sizes.ALLOC_SIZES)
    assert set(sizes.TRACK_SIZES) <= set(sizes.USE_SIZES)


@pytest.mark.parametrize("dtype", sizes.DTYPES)
@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("nbytes", sizes.ALLOC_SIZES)
def test_shape_holds_exactly_nbytes(nbytes, ndim, dtype):
    shape = shape_for(nbytes, dtype, ndim)
    assert len(shape) == ndim
    assert int(np.prod(shape)) * np.dtype(dtype).itemsize == nbytes
    if ndim == 2:
        rows, cols = shape
        assert cols <= rows <= 64 * cols  # roughly square


@pytest.mark.parametrize("nbytes, dtype, ndim", [(0, "float64", 1), (12, "float64", 1),
                                                 (4096, "float64", 3)])  # fmt: skip
def test_shape_rejects_bad_requests(nbytes, dtype, ndim):
    with pytest.raises(ValueError):
        shape_for(nbytes, dtype, ndim)


def test_format_size():
    assert sizes.format_size(4 * KiB) == "4 KiB"
    assert sizes.format_size(32 * MiB) == "32 MiB"
    assert sizes.format_size(32 * MiB - 4 * KiB) == "32 MiB - 4 KiB"
    assert sizes.format_size(32 * MiB + 8 * KiB) == "32 MiB + 8 KiB"
    assert sizes.format_size(12 * KiB) == "12 KiB"
    assert sizes.format_size(1 * GiB) == "1 GiB"
    assert sizes.format_size(100) == "100 B"


def test_format_size_writes_any_size_against_a_whole_unit():
    # The cliff's sizes: a few bytes off a whole MiB, or off a whole KiB under 1 MiB.
    assert sizes.format_size(32 * MiB - 4119) == "32 MiB - 4119 B"
    assert sizes.format_size(32 * MiB + 8 * KiB + 1) == "32 MiB + 8193 B"
    assert sizes.format_size(128 * KiB - 23) == "128 KiB - 23 B"
    assert sizes.format_size(1500) == "1 KiB + 476 B"
    assert sizes.format_size(20 * MiB + 300 * KiB + 1) == "20780 KiB + 1 B"
    assert sizes.format_size(1023) == "1023 B"


def test_every_size_reads_back():
    steps = range(0, 3 * MiB, 7)
    near = (n + d for n in (32 * MiB, 1 * GiB) for d in range(-MiB // 4, MiB // 4, 13))
    for nbytes in (*steps, *near, 2**40 + 1):
        assert sizes.size_bytes(sizes.format_size(nbytes)) == nbytes, nbytes


def test_format_bytes():
    assert sizes.format_bytes(33550313) == "33,550,313 bytes (32 MiB - 4119 B)"
    assert sizes.format_bytes(135168) == "135,168 bytes (132 KiB)"
    assert sizes.format_bytes(100) == "100 bytes"


def test_size_labels_read_back_to_the_same_bytes():
    for grid in sizes.GRIDS.values():
        assert [sizes.size_bytes(label) for label in sizes.size_labels(grid)] == list(grid)


@pytest.mark.parametrize("label", ["", "4", "4 KB", "x MiB", "32 MiB - 4", "32 MiB * 4 KiB"])
def test_size_labels_that_are_not_sizes_are_refused(label):
    with pytest.raises(ValueError, match="not a size"):
        sizes.size_bytes(label)
