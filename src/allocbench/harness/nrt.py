"""numba's runtime allocation count, as the work checks of the loops read it.

A figure that names an allocation first checks that the allocation happened: numba's runtime
counts every array it makes (its meminfo count, which calloc'ed arrays handed to it count in
too). numba 0.57 on keeps no count unless asked (the counters all threads share are numba
issue 8101's cost), so the count is switched on for a check only and no timed figure pays for
it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

try:
    from numba.core.runtime import _nrt_python, rtsys
except ImportError:  # numba < 0.49
    from numba.runtime import _nrt_python, rtsys


@contextlib.contextmanager
def allocations_counted() -> Iterator[Callable[[], int]]:
    """Within the block, a function returning the arrays numba's runtime has allocated so
    far; the count is switched on for the block only where this numba keeps none by default."""
    enabled = getattr(_nrt_python, "memsys_stats_enabled", None)
    switch = enabled is not None and not enabled()
    if switch:
        _nrt_python.memsys_enable_stats()
    try:
        yield lambda: rtsys.get_allocation_stats().mi_alloc
    finally:
        if switch:
            _nrt_python.memsys_disable_stats()


def counted(number: int, noun: str) -> str:
    """'1 allocation', '2 allocations': a count and its noun, for a check's reason."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
