"""What the history measures beside one thread's allocation: numba's np.zeros from several
threads, and what numba costs before it allocates (import, the first call's compilation).

numba's maintainers follow both release by release (numba issues 8101; 6136, 7612, 8398);
these sentences say what the results hold, the asv graphs show every point.
"""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import THREAD_SIZES, Bench, format_size
from allocbench.report.runs import Run, by_series, is_plain, newest_with
from allocbench.report.words import name, seconds, span

#: The thread figures are read at the largest size, where an array is memory, not call cost.
THREAD_SIZE = THREAD_SIZES[-1]
_MODES = {"prange": "in a prange loop", "threads": "from nogil functions in Python threads"}


def threads(runs: Sequence[Run]) -> List[str]:
    """Seconds per array of numba's np.zeros and allocbench.zeros from one thread and from every
    core at once (the newest run that has them), and how far numba's np.zeros falls short of
    scaling over the cores, over the releases measured."""
    lines = []
    run = newest_with(runs, Bench.THREADED_ALLOC)
    if run is not None:
        size = format_size(THREAD_SIZE)
        parts = []
        for mode, how in _MODES.items():
            pairs = []
            for path in ("numba.zeros", "allocbench.zeros"):
                one, every = (run.get(Bench.THREADED_ALLOC, path, mode, count, THREAD_SIZE)
                              for count in ("1", "all"))  # fmt: skip
                if one is not None and every is not None:
                    pairs.append(f"{path} {seconds(one)} / {seconds(every)}")
            if pairs:
                parts.append(f"{how}, " + ", ".join(pairs))
        if parts:
            lines.append(f"- **From several threads** (numba {name(run.label)}, "
                         f"{name(run.env)}, {name(run.machine)}), wall-clock time per {size} "
                         f"array, one thread / every core allocating at once: "
                         + "; ".join(parts) + ".")  # fmt: skip
    plain = [r for r in runs if is_plain(r)]
    for mode, how in _MODES.items():
        points = [(r, r.get(Bench.THREAD_SCALING, "numba.zeros", mode, THREAD_SIZE)) for r in plain]
        points = [(r, v) for r, v in points if v is not None]
        if len(points) > 1:
            low, high = min(points, key=lambda p: p[1]), max(points, key=lambda p: p[1])
            lines.append(
                f"- **Scaling over the cores** of numba's np.zeros {how}, "
                f"{format_size(THREAD_SIZE)} arrays, time on every core over perfect scaling "
                f"(1.0: the cores allocate that many times as fast as one; the core count: no "
                f"faster than one thread): {low[1]:.2f} (numba {name(low[0].label)}, "
                f"{name(low[0].env)}) to {high[1]:.2f} (numba {name(high[0].label)}, "
                f"{name(high[0].env)}) over {len(points)} runs."
            )
    return lines or ["Not measured in these results (`bench_threads`)."]


def startup(runs: Sequence[Run]) -> List[str]:
    """`import numba` and the first call of an @njit np.zeros function, from the oldest to
    the newest release of each series (medians of three fresh interpreters)."""
    lines = []
    plain = [r for r in runs if is_plain(r)]
    for what, benchmark, params in (
        ("`import numba`", Bench.IMPORT_NUMBA, ()),
        ("The first call of an @njit function allocating with np.zeros (its compilation)",
         Bench.FIRST_CALL, ("numba.zeros",)),
    ):  # fmt: skip
        ends, every = [], []
        for (_, env), series in by_series(plain).items():
            points = [(r, r.get(benchmark, *params)) for r in series]
            points = sorted(((r, v) for r, v in points if v is not None),
                            key=lambda p: p[0].release.key)  # fmt: skip
            if not points:
                continue
            every += [v for _, v in points]
            first, last = points[0], points[-1]
            ends.append(f"{name(env)}: {seconds(first[1])} (numba {name(first[0].label)})"
                        + (f" to {seconds(last[1])} (numba {name(last[0].label)})"
                           if last is not first else ""))  # fmt: skip
        if ends:
            lines.append(f"- **{what}** takes {span(every, seconds)} (a fresh interpreter each, "
                         f"medians of three); oldest to newest release: " + "; ".join(ends)
                         + ".")  # fmt: skip
    return lines or ["Not measured in these results (`bench_compile`)."]
