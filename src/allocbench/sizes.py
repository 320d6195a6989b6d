"""The size grid: every array size the suite measures, in bytes, and how to shape it.

One source of truth for sizes: the benchmarks, the fresh-process probe and the tests
all take their sizes from here.
"""

from __future__ import annotations

import math
from typing import Tuple

import numpy as np

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

#: First call in a fresh process against steady state.
FRESH_SIZES = (1 * MiB, 16 * MiB, 256 * MiB)

DTYPES = ("float64", "float32", "int64", "uint8")


def shape_for(nbytes: int, dtype: str = "float64", ndim: int = 1) -> Tuple[int, ...]:
    """C-order shape of `ndim` dimensions holding exactly `nbytes` of `dtype`.

    2-D shapes are as square as a power-of-two column count allows.
    """
    itemsize = np.dtype(dtype).itemsize
    if nbytes <= 0 or nbytes % itemsize:
        raise ValueError(f"{nbytes} bytes is not a positive multiple of {dtype}'s {itemsize}")
    n = nbytes // itemsize
    if ndim == 1:
        return (n,)
    if ndim == 2:
        cols = math.gcd(n, 2 ** int(math.log2(math.isqrt(n))))
        return (n // cols, cols)
    raise ValueError(f"ndim must be 1 or 2, not {ndim}")


def format_size(nbytes: int) -> str:
    """Human-readable size: '4 KiB', '32 MiB', '32764 KiB'."""
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if nbytes >= unit and nbytes % unit == 0:
            return f"{nbytes // unit} {name}"
    return f"{nbytes} B"
