"""np.zeros inside @njit against NumPy's np.zeros, alone and with a write (numba issue 7259).

Needs only numpy and numba. Run it once with stock numba and once with the patched build:

    python reproducer.py                      # 4 KiB to 1 GiB, alone and with a write
    python reproducer.py --parallel           # np.zeros in a parallel=True function too
    python reproducer.py --sizes 256M --rounds 9

For each size it times, alternately in this one process, a call of an @njit function that
returns ``np.zeros(n, np.uint8)`` and NumPy's own ``np.zeros(n, np.uint8)``, each on the
process's CPU clock (user and system time, so the kernel's page faults count), and prints
the median time of each over the rounds and the median of the rounds' ratios numba / NumPy.
"write" also fills the returned array with ones, from Python, for both, so that every page
is touched once. The array is freed outside the timed part.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from typing import Callable, List, Tuple

import numba
import numpy as np

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
DEFAULT_SIZES = (
    "4K", "64K", "1M", "4M", "16M", "32M", "64M", "256M", "1G",
)  # fmt: skip
#: Each timed sample repeats the call until it lasts about this long (seconds).
SAMPLE_SECONDS = 0.002


@numba.njit
def numba_zeros(n):
    return np.zeros(n, np.uint8)


@numba.njit(parallel=True)
def numba_zeros_parallel(n):
    return np.zeros(n, np.uint8)


def numpy_zeros(n):
    return np.zeros(n, np.uint8)


def parse_size(text: str) -> int:
    """'4K', '16M', '1G' or a number of bytes."""
    units = {"K": KIB, "M": MIB, "G": GIB}
    text = text.strip().upper().rstrip("B").rstrip("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def label(nbytes: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if nbytes >= size and nbytes % size == 0:
            return f"{nbytes // size} {unit}"
    return f"{nbytes} B"


def sample(fn: Callable, n: int, write: bool, number: int, clock=time.process_time) -> float:
    """Seconds per call of `fn(n)` (and a fill with ones) on `clock`, over `number` calls."""
    total = 0.0
    for _ in range(number):
        start = clock()
        a = fn(n)
        if write:
            a.fill(1)
        total += clock() - start
        del a
    return total / number


def calls_per_sample(fn: Callable, n: int, write: bool) -> int:
    once = max(sample(fn, n, write, 3), 1e-7)
    return max(1, min(10000, int(SAMPLE_SECONDS / once)))


def compare(
    fns: Tuple[Callable, Callable], n: int, write: bool, rounds: int, clock=time.process_time
) -> List[float]:
    """Median seconds of each of `fns` and the median ratio of the first to the second."""
    for fn in fns:  # warm: glibc's mmap threshold settles after the first free
        sample(fn, n, write, 2)
    number = min(calls_per_sample(fn, n, write) for fn in fns)
    times: List[List[float]] = [[], []]
    ratios = []
    gc.disable()
    try:
        for _ in range(rounds):
            top = sample(fns[0], n, write, number, clock)
            bottom = sample(fns[1], n, write, number, clock)
            times[0].append(top)
            times[1].append(bottom)
            ratios.append(top / max(bottom, 1e-9))
    finally:
        gc.enable()
    return [statistics.median(times[0]), statistics.median(times[1]), statistics.median(ratios)]


def madvise_settings() -> str:
    """NumPy's and (in a patched build) numba's huge-page advice settings."""
    try:
        from numpy._core import multiarray
    except ImportError:
        from numpy.core import multiarray
    numpy_on = getattr(multiarray, "_get_madvise_hugepage", lambda: "n/a")()
    numba_on = getattr(numba.core.config, "MADVISE_HUGEPAGE", "n/a (stock numba)")
    return f"numpy madvise_hugepage={numpy_on}; numba MADVISE_HUGEPAGE={numba_on}"


def transparent_huge_pages() -> str:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().strip()
    except OSError:
        return "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--parallel", action="store_true", help="also parallel=True np.zeros, alone, wall time"
    )
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes]
    print(f"numba {numba.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")  # fmt: skip
    print(f"{madvise_settings()}; THP: {transparent_huge_pages()}")
    print("size       use      numba (s)     numpy (s)     numba/numpy")
    for n in sizes:
        numba_zeros(n)
        for write in (False, True):
            rounds = args.rounds if n < GIB else max(3, args.rounds // 2)
            top, bottom, ratio = compare((numba_zeros, numpy_zeros), n, write, rounds)
            use = "write" if write else "alone"
            print(f"{label(n):9}  {use:6}  {top:12.3e}  {bottom:12.3e}  {ratio:10.3g}")
        if args.parallel:
            numba_zeros_parallel(n)
            # wall time: the CPU clock would also count idle worker threads spinning
            pair = (numba_zeros_parallel, numpy_zeros)
            top, bottom, ratio = compare(pair, n, False, 5, time.perf_counter)
            print(f"{label(n):9}  {'par.':6}  {top:12.3e}  {bottom:12.3e}  {ratio:10.3g}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
