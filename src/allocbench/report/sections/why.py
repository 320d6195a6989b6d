"""Why: what the compiled code calls, the page faults it takes, glibc's threshold, and what
numba's runtime counts."""

from __future__ import annotations

import statistics
from typing import Dict, List, Sequence, Tuple

from allocbench.catalog import HEADLINE_SIZE, MMAP_THRESHOLD_MAX, Bench
from allocbench.report.findings import Block, Name, Text, bold, bullet, join
from allocbench.report.runs import Run, measured, plain


def compiled_code(runs: Sequence[Run]) -> List[Block]:
    """What the compiled code of np.zeros and allocbench.zeros calls, release by release."""
    found: List[Block] = []
    stock = plain(runs)
    for path, words in (("numba.zeros", "np.zeros inside @njit"),
                        ("allocbench.zeros", "allocbench.zeros")):  # fmt: skip
        fills = {r.label: r.get(Bench.WHOLE_BLOCK_FILLS, path) for r in stock}
        callocs = {r.label: r.get(Bench.CALLOC_CALLS, path) for r in stock}
        keys = {r.label: r.release.key for r in stock}
        shown = sorted((k for k, v in fills.items() if v is not None), key=keys.__getitem__)
        if not shown:
            continue
        filling = [v for v in shown if fills[v]]
        calloc = [v for v in shown if callocs.get(v)]
        ends = shown[:1] if len(shown) == 1 else [shown[0], shown[-1]]
        found.append(bullet(
            bold(words), " (numba ", join([Name(v) for v in ends], " to "),
            ", read from the LLVM IR numba generates): "
            + (f"a memset over the whole block after numba's runtime allocates it, in "
               f"{len(filling)} of {len(shown)} releases" if filling
               else "no memset over the block")
            + (f"; calloc in {len(calloc)} of {len(shown)}" if calloc else "")
            + "."))  # fmt: skip
    return found


def faults(runs: Sequence[Run]) -> List[Block]:
    """Page faults per call at 256 MiB, allocation alone: the cost of the fill, counted."""
    numba = measured(plain(runs), Bench.FAULTS_ALLOC, "numba.zeros", HEADLINE_SIZE)
    numpy = measured(plain(runs), Bench.FAULTS_ALLOC, "numpy.zeros", HEADLINE_SIZE)
    if not (numba and numpy):
        return []
    pages = HEADLINE_SIZE // 4096
    return [bullet(
        bold("Page faults per call at 256 MiB"),
        f" (allocation alone, exact counts, median per call): np.zeros inside @njit takes "
        f"{min(numba):,.0f} to {max(numba):,.0f} ({pages:,} pages of 4 KiB), numpy's np.zeros "
        f"{min(numpy):,.0f} to {max(numpy):,.0f}: numpy's calloc hands out fresh pages that "
        f"nobody has touched yet, numba writes a zero into every one of them.")]  # fmt: skip


def cliff(runs: Sequence[Run]) -> List[Block]:
    """Where glibc stops serving the block from its heap, measured and predicted."""
    numba = measured(plain(runs), Bench.CLIFF_NUMBA)
    numpy = measured(plain(runs), Bench.CLIFF_NUMPY)
    if not (numba and numpy):
        return []
    return [bullet(
        bold("The 32 MiB line is glibc's"),
        f": numba's np.zeros faults in every page from {statistics.median(numba):,.0f} bytes, "
        f"numpy's np.zeros stays lazy from {statistics.median(numpy):,.0f} bytes (medians over "
        f"the runs); glibc's largest mmap threshold is {MMAP_THRESHOLD_MAX:,} bytes. Below it "
        f"malloc and calloc reuse memory that is already resident, so both zero it alike; "
        f"above it calloc gets fresh pages from the kernel, already zero, and numba's malloc + "
        f"memset touches every one.")]  # fmt: skip


#: The in-loop figure the counting is read at: numba's np.empty of 8 B, where it costs most.
_COUNTED_AT = ("numba.empty", 8)
#: Counted over uncounted beyond this: the release counts only when asked.
_COUNTING_SHOWS = 1.5


def counting(runs: Sequence[Run]) -> List[Block]:
    """What numba's runtime statistics (a count of every allocation and free) cost inside a
    compiled loop, release by release: bench_inloop's figure as the release runs it, and with
    the counting switched on (InLoopCounting)."""
    rows = []
    for run in sorted(plain(runs), key=lambda r: (r.release.key, r.env)):
        alone = run.get(Bench.IN_LOOP, *_COUNTED_AT)
        counted = run.get(Bench.IN_LOOP_COUNTING, *_COUNTED_AT)
        if alone and counted:
            rows.append((run, alone, counted))
    if not rows:
        return []
    asked = [r for r, a, c in rows if c / a > _COUNTING_SHOWS]
    always = [r for r, a, c in rows if c / a <= _COUNTING_SHOWS]
    series: Dict[Tuple[str, str], List[Text]] = {}
    for r, a, c in rows:
        series.setdefault((r.env, r.machine), []).append(
            Text.of(Name(r.label), f" {a:.1f} ({c:.1f} counted)"))  # fmt: skip
    machines = {machine for _, machine in series}
    shown = join([Text.of(Name(env), *((" on ", Name(machine)) if len(machines) > 1 else ()),
                          ": ", join(figures, ", "))
                  for (env, machine), figures in series.items()], "; ")  # fmt: skip
    verdict = [
        Text.of(words, join([Name(v) for v in dict.fromkeys(r.label for r in which)], ", "))
        for words, which in (("counting only when asked (counted over uncounted beyond "
                              f"{_COUNTING_SHOWS}x) in numba ", asked),
                             ("counting always (the two agree) in numba ", always))
        if which
    ]  # fmt: skip
    return [bullet(
        bold("What numba's runtime counts"), " (np.empty of 8 B inside one compiled loop, over "
        "the loop alone, as the release runs it and with its allocation statistics switched on; "
        "bench_inloop, one process each): ", shown, ". ", join(verdict, "; "), ".")]  # fmt: skip
