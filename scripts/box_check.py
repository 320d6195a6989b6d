"""A check of allocbench bisect from outside: boxing a returned array, plain numba, no allocbench.

Prints one JSON line: numba's version and the median thread-CPU nanoseconds of an @njit
function returning the uint8 array of N bytes it was given, minus one returning its first
element (the boxing of a returned array), over 41 alternating samples. Run it with a build's
folder first on PYTHONPATH, in alternating fresh processes of the builds to compare:
`PYTHONPATH=.asv/builds/py3.8-numpy1.18.5/<commit> python scripts/box_check.py 8`.
"""

import json
import statistics
import sys
import time

import numba
import numpy as np


@numba.njit
def take(a):
    return a[0]


@numba.njit
def give_back(a):
    return a


def per_call(f, x, count):
    start = time.thread_time()
    for _ in range(count):
        f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x)
    return (time.thread_time() - start) / (10 * count)


def main():
    nbytes = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    a = np.ones(nbytes, np.uint8)
    assert give_back(a) is a and take(a) == 1
    count = 20000
    per_call(take, a, count), per_call(give_back, a, count)
    box = []
    for _ in range(41):
        t = per_call(take, a, count)
        g = per_call(give_back, a, count)
        box.append(g - t)
    print(json.dumps({"numba": numba.__version__, "nbytes": nbytes,
                      "box_ns": round(statistics.median(box) * 1e9, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
