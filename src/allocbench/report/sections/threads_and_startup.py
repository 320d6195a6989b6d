"""What the history measures beside one thread's allocation: numba's np.zeros from several
threads, and what numba costs before it allocates (import, the first call's compilation).

numba's maintainers follow both release by release (numba issues 8101; 6136, 7612, 8398);
these sentences say what the results hold, the asv graphs show every point.
"""

from __future__ import annotations

from typing import List, Sequence

from allocbench.catalog import THREAD_SIZES, Bench, format_size
from allocbench.report.findings import Block, Code, Name, Text, bold, bullet, join, paragraph
from allocbench.report.runs import Run, by_series, newest_with, plain
from allocbench.report.words import seconds, span

#: The thread figures are read at the largest size, where an array is memory, not call cost.
THREAD_SIZE = THREAD_SIZES[-1]
_MODES = {"prange": "in a prange loop", "threads": "from nogil functions in Python threads"}


def _from_threads(runs: Sequence[Run]) -> List[Block]:
    run = newest_with(runs, Bench.THREADED_ALLOC)
    if run is None:
        return []
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
    if not parts:
        return []
    return [bullet(bold("From several threads"), " (numba ", Name(run.label), ", ", Name(run.env),
                   ", ", Name(run.machine), f"), wall-clock time per {format_size(THREAD_SIZE)} "
                   "array, one thread / every core allocating at once: " + "; ".join(parts)
                   + ".")]  # fmt: skip


def threads(runs: Sequence[Run]) -> List[Block]:
    """Seconds per array of numba's np.zeros and allocbench.zeros from one thread and from every
    core at once (the newest run that has them), and how far numba's np.zeros falls short of
    scaling over the cores, over the releases measured."""
    found = _from_threads(runs)
    stock = plain(runs)
    for mode, how in _MODES.items():
        points = [(r, r.get(Bench.THREAD_SCALING, "numba.zeros", mode, THREAD_SIZE)) for r in stock]
        points = [(r, v) for r, v in points if v is not None]
        if len(points) > 1:
            low, high = min(points, key=lambda p: p[1]), max(points, key=lambda p: p[1])
            found.append(
                bullet(
                    bold("Scaling over the cores"),
                    f" of numba's np.zeros {how}, {format_size(THREAD_SIZE)} arrays, time on "
                    f"every core over perfect scaling (1.0: the cores allocate that many times as "
                    f"fast as one; the core count: no faster than one thread): {low[1]:.2f} "
                    "(numba ",
                    Name(low[0].label),
                    ", ",
                    Name(low[0].env),
                    f") to {high[1]:.2f} (numba ",
                    Name(high[0].label),
                    ", ",
                    Name(high[0].env),
                    f") over {len(points)} runs.",
                )
            )
    return found or [paragraph("Not measured in these results (", Code("bench_threads"), ").")]


def startup(runs: Sequence[Run]) -> List[Block]:
    """`import numba` and the first call of an @njit np.zeros function, from the oldest to
    the newest release of each series (medians of three fresh interpreters)."""
    found: List[Block] = []
    for what, benchmark, params in (
        (Text.of(Code("import numba")), Bench.IMPORT_NUMBA, ()),
        (Text.of("The first call of an @njit function allocating with np.zeros (its "
                 "compilation)"), Bench.FIRST_CALL, ("numba.zeros",)),
    ):  # fmt: skip
        ends, every = [], []
        for (_, env), series in by_series(plain(runs)).items():
            points = [(r, r.get(benchmark, *params)) for r in series]
            points = sorted(((r, v) for r, v in points if v is not None),
                            key=lambda p: p[0].release.key)  # fmt: skip
            if not points:
                continue
            every += [v for _, v in points]
            first, last = points[0], points[-1]
            ends.append(Text.of(Name(env), f": {seconds(first[1])} (numba ", Name(first[0].label),
                                ")", *(() if last is first else
                                       (f" to {seconds(last[1])} (numba ", Name(last[0].label),
                                        ")"))))  # fmt: skip
        if ends:
            found.append(bullet(bold(what), f" takes {span(every, seconds)} (a fresh interpreter "
                                "each, medians of three); oldest to newest release: ",
                                join(ends, "; "), "."))  # fmt: skip
    return found or [paragraph("Not measured in these results (", Code("bench_compile"), ").")]
