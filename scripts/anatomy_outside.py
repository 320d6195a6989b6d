"""The outside check of harness/anatomy.py: plain numba and numpy, no allocbench.

Prints, for one process, the median CPU nanoseconds (the thread's clock) of: an @njit identity
of an int; an @njit function taking a uint8 array of N bytes and returning its first element;
one returning the array it was given; and, per iteration of one @njit loop, np.empty and
np.zeros of N bytes and the same loop with no allocation. Run it in alternating fresh processes
of two releases: `python scripts/anatomy_outside.py 65536`.
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
def take(a):
    return a[0]


@numba.njit
def give_back(a):
    return a


@numba.njit
def loop_empty(n, count):
    t = 0
    for i in range(count):
        a = np.empty(n, np.uint8)
        a[i % n] = i & 0x7F
        t += a[i % n]
    return t


@numba.njit
def loop_zeros(n, count):
    t = 0
    for i in range(count):
        a = np.zeros(n, np.uint8)
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
    def sample():
        start = time.thread_time()
        for _ in range(count):
            f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x), f(x)
        return (time.thread_time() - start) / (10 * count)

    return sample


def per_iteration(f, x, count):
    def sample():
        start = time.thread_time()
        f(x, count)
        return (time.thread_time() - start) / count

    return sample


def main():
    n = int(sys.argv[1])
    a = np.ones(n, np.uint8)
    assert ident(7) == 7 and take(a) == 1 and give_back(a) is a
    assert loop_empty(n, 3) == loop_zeros(n, 3) == loop_none(np.zeros(n, np.uint8), 3) == 3
    timers = {
        "ident_int": per_call(ident, 7, 2000),
        "take_array": per_call(take, a, 2000),
        "return_array": per_call(give_back, a, 2000),
        "loop_empty": per_iteration(loop_empty, n, 20000),
        "loop_zeros": per_iteration(loop_zeros, n, 20000),
        "loop_none": per_iteration(loop_none, np.zeros(n, np.uint8), 20000),
    }
    samples = {k: [] for k in timers}
    for t in timers.values():
        t()
    for r in range(31):
        for k in list(timers) if r % 2 == 0 else list(reversed(list(timers))):
            samples[k].append(timers[k]())
    out = {k: statistics.median(v) * 1e9 for k, v in samples.items()}
    out["numba"] = numba.__version__
    print(json.dumps(out))


main()
