"""Boxing a fresh array, outside the suite: plain numba and numpy, no allocbench.

Prints, for one process, median CPU nanoseconds of an @njit identity of an int, an @njit
np.empty(N) returned to Python, and per iteration of one @njit loop np.empty(N) and the same
loop without it; box_fresh is the second minus the first minus the loop's difference. Run in
alternating fresh processes of two releases: `python scripts/anatomy_fresh_box.py 65536`.
"""

import json
import statistics
import sys
import time

import numba
import numpy as np


@numba.njit
def ident(x):
    return x


@numba.njit
def fresh_empty(n):
    return np.empty(n, np.uint8)


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


def per_call(f, x, count):
    def s():
        st = time.thread_time()
        for _ in range(count):
            f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x)
        return (time.thread_time() - st) / (10 * count)

    return s


def per_it(f, x, count):
    def s():
        st = time.thread_time()
        f(x, count)
        return (time.thread_time() - st) / count

    return s


n = int(sys.argv[1])
T = {
    "ident_int": per_call(ident, 7, 2000),
    "fresh_empty": per_call(fresh_empty, n, 2000),
    "loop_empty": per_it(loop_empty, n, 20000),
    "loop_none": per_it(loop_none, np.zeros(n, np.uint8), 20000),
}
S = {k: [] for k in T}
for t in T.values():
    t()
for r in range(31):
    for k in list(T) if r % 2 == 0 else list(reversed(list(T))):
        S[k].append(T[k]())
m = {k: statistics.median(v) * 1e9 for k, v in S.items()}
m["box_fresh"] = m["fresh_empty"] - m["ident_int"] - (m["loop_empty"] - m["loop_none"])
m["numba"] = numba.__version__
print(json.dumps(m))
