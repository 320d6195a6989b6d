"""A check of allocbench bisect from outside: np.empty inside one @njit loop, plain numba.

Prints one JSON line: numba's version and the median thread-CPU nanoseconds per iteration of
an @njit loop that makes np.empty(N, uint8) each iteration (writing and reading one element),
of the same loop over an array made beforehand, and their ratio, over 31 alternating samples.
Run it with a build's folder first on PYTHONPATH, in alternating fresh processes:
`PYTHONPATH=.asv/builds/py3.10-numpy1.22.4/<commit> python scripts/inloop_check.py 8`.
"""

import json
import statistics
import sys
import time

import numba
import numpy as np


@numba.njit
def loop_empty(n, count):
    t = 0
    for i in range(count):
        a = np.empty(n, np.uint8)
        a[i % n] = i & 0x7F
        t += a[i % n]
    return t


@numba.njit
def loop_none(b, count):
    n = b.shape[0]
    t = 0
    for i in range(count):
        b[i % n] = i & 0x7F
        t += b[i % n]
    return t


def per_iteration(f, x, count):
    start = time.thread_time()
    f(x, count)
    return (time.thread_time() - start) / count


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    b = np.zeros(n, np.uint8)
    count = 200000
    per_iteration(loop_empty, n, 10), per_iteration(loop_none, b, 10)
    empty, none = [], []
    for _ in range(31):
        empty.append(per_iteration(loop_empty, n, count))
        none.append(per_iteration(loop_none, b, count))
    e, c = statistics.median(empty), statistics.median(none)
    print(json.dumps({"numba": numba.__version__, "nbytes": n, "empty_ns": round(e * 1e9, 2),
                      "loop_ns": round(c * 1e9, 2), "ratio": round(e / c, 2)}))  # fmt: skip


if __name__ == "__main__":
    main()
