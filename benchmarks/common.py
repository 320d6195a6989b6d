"""Shared by the benchmark files: path names by group, and binding with an n/a for misfits."""

import contextlib
import math
import os
import sys
import time

from allocbench import catalog
from allocbench.catalog import format_size
from allocbench.harness.measure import TooNoisy
from allocbench.harness.paths import PATHS, Alloc, shape_for
from allocbench.harness.probes import fits_in_memory, glibc_version, missing_allocator

PATH_NAMES = list(catalog.PATH_NAMES)
HEADLINE_PATHS = list(catalog.HEADLINE_PATHS)


def _compile_float64_paths():
    """Compile every path for 1-D float64 once, at import.

    asv's forkserver imports the suite once and forks a process per benchmark, so numba's
    import and each kernel's compilation (or cache load) are paid here instead of in every one
    of them. Where numba is missing the numba paths stay unbound and show as n/a.
    """
    for path in PATHS.values():
        with contextlib.suppress(NotImplementedError):
            path.bind((1,))


_compile_float64_paths()


def with_attributes(**attrs):
    """Set asv's attributes (unit, timeout, ...) on a benchmark method, as scipy's suite does."""

    def decorate(func):
        for name, value in attrs.items():
            setattr(func, name, value)
        return func

    return decorate


class OneRound:
    """Timing settings for classes with many parameter combinations: one process per
    combination (asv's default is two rounds), at least three samples, a short warm-up, and
    the process's CPU time for asv's clock (user and system, page faults included), which a
    neighbour holding the core cannot stretch as it stretches wall time."""

    rounds = 1
    repeat = (3, 10, 1.0)
    warmup_time = 0.05
    timer = time.process_time


def skip_where_environment_does_nothing():
    """n/a where the environment's variant cannot apply, so it would only repeat the plain
    environment's figures under a name that says otherwise: GLIBC_TUNABLES where the libc is
    not glibc, an allocator in LD_PRELOAD that is not installed (the loader ignores it)."""
    if os.environ.get("GLIBC_TUNABLES") and glibc_version() is None:
        raise NotImplementedError("GLIBC_TUNABLES is set, but this libc is not glibc")
    missing = missing_allocator()
    if missing:
        raise NotImplementedError(missing)


def raise_if_skipped(figures):
    """n/a in setup where setup_cache found nothing to measure: it returns the reason, as text,
    instead of its figures."""
    if isinstance(figures, str):
        raise NotImplementedError(figures)


def ratio_or_na(measure):
    """`measure()`'s ratio, or NaN (asv's n/a) where it is too noisy here: for a track method
    whose class measures several figures, so that its setup cannot take them all. The reason
    goes to stderr, which the history shows."""
    try:
        return measure().ratio
    except TooNoisy as reason:
        print(reason, file=sys.stderr)
        return math.nan


def raise_unless_done(reason):
    """n/a in setup where a figure's work check found its work elided (`reason` says how)."""
    if reason:
        raise NotImplementedError(reason)


def skip_unless_fits(nbytes, copies=2):
    """Raise NotImplementedError (asv shows n/a) if `copies` arrays do not fit in memory,
    or if the environment's variant cannot apply here."""
    skip_where_environment_does_nothing()
    if not fits_in_memory(nbytes, copies):
        raise NotImplementedError(f"{format_size(nbytes)} x {copies} does not fit in memory")


def bind(path, nbytes, dtype="float64", ndim=1) -> Alloc:
    """The path bound to `nbytes` of `dtype` in `ndim` dimensions, compiled and warmed up."""
    skip_unless_fits(nbytes)
    return PATHS[path].bind(shape_for(nbytes, dtype, ndim), dtype)
