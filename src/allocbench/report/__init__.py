"""allocbench report: what the asv results say about the slowdown, in words, tables and plots.

Reads a results directory (any machines, environments and releases), names each commit by
its numba release through the release table's ledger, and writes ``report/README.md`` and
two plots. Every sentence in the summary is computed from the results it reads: a figure that
is not in them is reported as not measured, never filled in.
"""

from __future__ import annotations

import math
import pathlib
import statistics
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple, Union

from allocbench import files
from allocbench.catalog import (
    HEADLINE_SIZE,
    MMAP_THRESHOLD_MAX,
    PRELOAD_VARIABLE,
    Bench,
    MiB,
    format_size,
)
from allocbench.history.releases import Release
from allocbench.report.commits import release_by_commit
from allocbench.report.figures import plot_ratio_by_release, plot_seed_figure
from allocbench.report.runs import (
    FIXED,
    TUNABLES_VARIABLE,
    Run,
    allocator_of,
    by_series,
    collect,
    headline,
    is_plain,
    variants,
)
from allocbench.report.threads_and_startup import startup, threads
from allocbench.report.words import code as _code
from allocbench.report.words import name as _name
from allocbench.report.words import nbytes as _bytes
from allocbench.report.words import seconds as _seconds
from allocbench.report.words import span as _span
from allocbench.report.words import times as _x
from allocbench.results import ResultsError, load

PathLike = Union[str, pathlib.Path]

THP_NAMES = {0: "never", 1: "madvise", 2: "always"}
#: A ratio this large counts as "the slowdown".
SLOW = 10.0
#: Releases whose 256 MiB ratios stay within this factor of each other changed nothing.
SAME = 3.0


def grid_cliff(run: Run) -> Optional[int]:
    """Smallest size of the Alloc grid from which numba.zeros stays SLOW times numpy's."""
    sizes = run.values_of(Bench.ALLOC, "size")
    ratios = [(n, run.ratio(Bench.ALLOC, "numba.zeros", "numpy.zeros", n)) for n in sizes]
    ratios = [(n, q) for n, q in ratios if q is not None]
    cliff = None
    for nbytes, ratio in reversed(ratios):
        if ratio < SLOW:
            break
        cliff = nbytes
    return cliff


def _cliff_table(runs: Sequence[Run]) -> List[str]:
    lines = [
        "| release | numpy np.zeros lazy from | numba np.zeros faults every page from "
        "| grid cliff | ratio 1 MiB | 16 MiB | 64 MiB | 256 MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        ratios = [run.get(Bench.CLIFF_RATIO, n) for n in (1 * MiB, 16 * MiB, 64 * MiB, 256 * MiB)]
        cliff = grid_cliff(run)
        lines.append(
            f"| {_name(run.label)} | {_bytes(run.get(Bench.CLIFF_NUMPY))} "
            f"| {_bytes(run.get(Bench.CLIFF_NUMBA))} "
            f"| {format_size(cliff) if cliff else 'n/a'} | "
            + " | ".join(_x(q) for q in ratios)
            + " |"
        )
    return lines


def summary(runs: Sequence[Run]) -> List[str]:
    """Plain sentences about where the slowdown appears and whether a release changed it."""
    lines: List[str] = []
    # Runs under glibc tunables are the test of the mechanism, reported on their own.
    labelled = _plain(runs)
    ratios = [(r, headline(r)) for r in labelled]
    ratios = [(r, q) for r, q in ratios if q is not None]
    if not ratios:
        return ["These results hold no numba.zeros / numpy.zeros figure at 256 MiB, so they "
                "cannot say where the slowdown appears. Run the history selection "
                "(`allocbench history`) or `bench_alloc.Alloc`."]  # fmt: skip
    releases = sorted({r.release.key: r.label for r, _ in ratios}.items())
    low = min(q for _, q in ratios)
    high = max(q for _, q in ratios)
    slow = [r for r, q in ratios if q >= SLOW]
    where = "every" if len(slow) == len(ratios) else f"{len(slow)} of {len(ratios)}"
    lines.append(
        f"- **The slowdown is there in {where} release and environment measured** "
        f"(numba {_name(releases[0][1])} to {_name(releases[-1][1])}, {len(by_series(labelled))} "
        f"machine/environment series): at 256 MiB, np.zeros inside @njit takes "
        f"{_span([low, high], _x)} numpy's time for allocation alone."
    )
    numba_from = [r.get(Bench.CLIFF_NUMBA) for r in labelled if r.get(Bench.CLIFF_NUMBA)]
    numpy_from = [r.get(Bench.CLIFF_NUMPY) for r in labelled if r.get(Bench.CLIFF_NUMPY)]
    if numba_from and numpy_from:
        above = int(max(numba_from + numpy_from)) - MMAP_THRESHOLD_MAX
        below = [r.get(Bench.CLIFF_RATIO, n) for r in labelled for n in (1 * MiB, 16 * MiB)]
        below = [q for q in below if q is not None]
        predicted = [
            (r.get(Bench.CLIFF_NUMBA), r.get(Bench.CLIFF_NUMBA_PREDICTED),
             r.get(Bench.CLIFF_NUMPY), r.get(Bench.CLIFF_NUMPY_PREDICTED))
            for r in labelled
        ]  # fmt: skip
        predicted = [row for row in predicted if None not in row]
        agree = sum(row[0] == row[1] and row[2] == row[3] for row in predicted)
        lines.append(
            f"- **Where it starts**: measured to the byte, each size in a fresh process, numba's "
            f"np.zeros faults in every page from {_span(numba_from, _bytes)}, and numpy's "
            f"np.zeros stays lazy from {_span(numpy_from, _bytes)}; glibc's largest mmap "
            f"threshold is {format_size(MMAP_THRESHOLD_MAX)} ({MMAP_THRESHOLD_MAX:,} bytes), "
            + (
                f"{above:,} bytes below the largest of these."
                if above >= 0
                else f"{-above:,} bytes above all of these."
            )
            + (
                f" glibc's rules (how malloc rounds a request into a chunk, the threshold it "
                f"raises when an mmap'd chunk is freed, and numba's runtime header on top of the "
                f"array) predict the same bytes in {agree} of {len(predicted)} runs."
                if predicted
                else ""
            )
            + (
                f" Below it, at 1 MiB and 16 MiB, numba's np.zeros takes {_span(below, _x)} "
                f"numpy's time."
                if below
                else ""
            )
        )
    grid = [grid_cliff(r) for r in labelled]
    grid = [g for g in grid if g]
    if grid:
        lines.append(
            f"- On the size grid (a fresh process per size), numba.zeros is {SLOW:g}x or more "
            f"slower than numpy.zeros from {_span(grid, _bytes)} up."
        )
    for (machine, env), series in by_series(labelled).items():
        points = [(_name(r.label), headline(r)) for r in series if headline(r) is not None]
        if len(points) < 2:
            continue
        values = [q for _, q in points]
        spread = max(values) / min(values)
        steps = [(a[0], b[0], b[1] / a[1]) for a, b in zip(points, points[1:])]
        big = max(steps, key=lambda s: abs(math.log(s[2])))
        verdict = (
            f"no release changed it: {_x(min(values))} to {_x(max(values))} over "
            f"{points[0][0]}-{points[-1][0]}"
            if spread < SAME
            else f"it changed: the largest step is {big[0]} -> {big[1]} (x{big[2]:.3g})"
        )
        lines.append(f"- {_name(env)} on {_name(machine)}: {verdict}.")
    return lines


def advice(runs: Sequence[Run]) -> List[str]:
    """What to do, each line backed by the medians it quotes."""
    lines: List[str] = []

    def median_ratio(benchmark: str, slow: str, fast: str) -> Optional[float]:
        values = [r.ratio(benchmark, slow, fast, HEADLINE_SIZE) for r in runs]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    passed_in = median_ratio(Bench.ALLOC, "mixed.zeros_in", "numpy.zeros")
    if passed_in is not None:
        lines.append(
            f"- **Allocate outside @njit code and pass the array in**: at 256 MiB that costs "
            f"{_x(passed_in)} numpy's np.zeros (median over the runs), against "
            f"{_x(median_ratio(Bench.ALLOC, 'numba.zeros', 'numpy.zeros'))} for np.zeros inside."
        )
    empty = median_ratio(Bench.WRITE, "numba.empty", "numba.zeros")
    if empty is not None:
        lines.append(
            f"- **Use np.empty when every element is written anyway**: inside @njit, np.empty "
            f"+ writing every element takes {_x(empty)} the time of np.zeros + the same write "
            f"at 256 MiB (median)."
        )
    fix = median_ratio(Bench.ALLOC, "allocbench.zeros", "numpy.zeros")
    fix_write = median_ratio(Bench.WRITE, "allocbench.zeros", "numpy.zeros")
    if fix is not None:
        lines.append(
            f"- **Or use allocbench.zeros inside @njit**: at 256 MiB its allocation takes "
            f"{_x(fix)} numpy's np.zeros, and allocation + write {_x(fix_write)} (medians)."
        )
    return lines or ["- These results hold none of the comparisons the advice rests on."]


def tunables(runs: Sequence[Run]) -> List[str]:
    """The cliff under glibc tunables beside the same machine, environment and release
    without them: the test of the mechanism."""
    rows, words, shown = [], [], set()
    for run, _, base_env, setting, base in variants(runs, (TUNABLES_VARIABLE,)):
        for label, r in (("none", base), (setting, run)):
            if r is None or id(r) in shown:
                continue
            shown.add(id(r))
            rows.append(
                f"| {_name(label)} | {_name(run.label)} | {_bytes(r.get(Bench.CLIFF_NUMBA))} "
                f"| {_bytes(r.get(Bench.CLIFF_NUMPY))} | {_x(r.get(Bench.CLIFF_RATIO, 1 * MiB))} "
                f"| {_x(r.get(Bench.CLIFF_RATIO, 16 * MiB))} |"
            )
        moved, before = run.get(Bench.CLIFF_NUMBA), base.get(Bench.CLIFF_NUMBA) if base else None
        if moved and before:
            words.append(
                f"- With {_code('GLIBC_TUNABLES=' + setting)} ({_name(base_env)}, numba "
                f"{_name(run.label)}, {_name(run.machine)}), numba's np.zeros faults in every "
                f"page from {_bytes(moved)} instead of {_bytes(before)}, and at 16 MiB takes "
                f"{_x(run.get(Bench.CLIFF_RATIO, 16 * MiB))} numpy's time instead of "
                f"{_x(base.get(Bench.CLIFF_RATIO, 16 * MiB))}."
            )
    if not rows:
        return ["Not measured in these results (the GLIBC_TUNABLES environments of "
                "asv.conf.json)."]  # fmt: skip
    return [*words, "",
            "| GLIBC_TUNABLES | release | numba faults every page from | numpy lazy from "
            "| ratio 1 MiB | 16 MiB |", "| --- | --- | --- | --- | --- | --- |", *rows]  # fmt: skip


def switched(runs: Sequence[Run]) -> List[str]:
    """numba's own np.zeros where it is fixed (the run-time switch, the patched build), beside
    the same machine, environment and release as it is: one sentence per fix, environment and
    machine, over the releases it ran."""
    groups: Dict[tuple, List[Tuple[Run, float, Optional[Run]]]] = defaultdict(list)
    plain_names: Dict[tuple, str] = {}
    own_names: Dict[tuple, str] = {}
    for run, variable, _, _, base in variants(runs, tuple(FIXED)):
        on = headline(run)
        if run.release is not None and on is not None:
            key = (variable, run.machine, run.setting)
            groups[key].append((run, on, base))
            own_names.setdefault(key, run.env)
            if base is not None:
                plain_names.setdefault(key, base.env)
    lines = []
    for (variable, machine, setting), measured in groups.items():
        key = (variable, machine, setting)
        base_env = plain_names.get(key, own_names[key])
        measured.sort(key=lambda m: m[0].release.key)
        labels = [_name(run.label) for run, _, _ in measured]
        which = (f"numba {labels[0]}" if len(labels) == 1
                 else f"numba {labels[0]} to {labels[-1]} ({len(labels)} releases)")  # fmt: skip
        off = [q for q in (headline(base) for _, _, base in measured if base) if q]
        faults = _values([run for run, _, _ in measured], Bench.FAULTS_ALLOC, "numba.zeros",
                         HEADLINE_SIZE)  # fmt: skip
        stock = _values([base for _, _, base in measured if base], Bench.FAULTS_ALLOC,
                        "numba.zeros", HEADLINE_SIZE)  # fmt: skip
        count = "{:,.0f}".format
        lines.append(
            f"- {which} {FIXED[variable]} ({_name(base_env)}, {_name(machine)}): at 256 MiB "
            f"np.zeros inside @njit takes {_span([on for _, on, _ in measured], _x)} numpy's time"
            + (f", {_span(off, _x)} as released" if off else "")
            + (f"; page faults per call: {_span(faults, count)}" if faults else "")
            + (f", instead of {_span(stock, count)}" if stock else "")
            + "."
        )
    if not lines:
        return ["Not measured in these results (the ALLOCBENCH_PATCH_NUMBA_ZEROS and "
                "ALLOCBENCH_NUMBA_BUILD environments of asv.conf.json)."]  # fmt: skip
    return lines


#: A tracked ratio that moves by more than this between releases, with every release after
#: beyond every release before, is a change (asv.conf.json flags bench_ratio at 20% too).
STEP = 1.2


def release_steps(runs: Sequence[Run]) -> List[str]:
    """Releases at which a compiled path's time over its numpy control (bench_ratio, timed in
    one process) stepped, in a series of one machine and environment: the median of the
    releases after over the median of those before beyond STEP, and the two sets apart."""
    found: Dict[Tuple[str, str, str], List[str]] = defaultdict(list)
    compared = 0  # series x figure measured over two releases or more
    for (machine, env), series in by_series(_plain(runs)).items():
        keys = sorted({k for r in series for k in r.values if k[0] == Bench.OVER_CONTROL})
        for _, (path, nbytes) in keys:
            points = [(r, r.get(Bench.OVER_CONTROL, path, nbytes)) for r in series]
            points = [(r, v) for r, v in points if v is not None]
            compared += len(points) > 1
            best = None  # the split whose two sides lie furthest apart
            for k in range(1, len(points)):
                before, after = [v for _, v in points[:k]], [v for _, v in points[k:]]
                gap = max(min(after) / max(before), min(before) / max(after))
                change = statistics.median(after) / statistics.median(before)
                if gap > 1 and not 1 / STEP < change < STEP and (best is None or gap > best[0]):
                    best = (gap, k, change)
            if best is not None:
                where = (_name(points[best[1]][0].label), _name(env), _name(machine))
                found[where].append(f"{_name(path)} at {format_size(int(nbytes))} {_x(best[2])}")
    if not compared:
        return ["- **Release steps: not measured.** No series here has a compiled path's time "
                "over its numpy control (bench_ratio, one process) for two releases or more, so "
                "nothing is said of which release changed it."]  # fmt: skip
    if not found:
        return [f"- **No release changed** any compiled path's time over its numpy control by "
                f"more than {_x(STEP)} (bench_ratio, one process; {compared} figures of a series "
                f"measured over two releases or more)."]  # fmt: skip
    return [
        f"- **numba {label}** ({env}, {machine}) changed a compiled path's time over its numpy "
        f"control (bench_ratio, one process; the releases after over those before, medians): "
        f"{'; '.join(changes)}."
        for (label, env, machine), changes in found.items()
    ]


#: numba's np.zeros within this factor of numpy's at 256 MiB: the gap is gone.
CLOSE = 2.0


def allocators(runs: Sequence[Run]) -> List[str]:
    """Whether another malloc removes the gap for numba's np.zeros at 256 MiB, and at what cost
    to numpy's, each beside the same machine, environment and release under glibc's."""
    lines, removes = [], []
    for run, _, base_env, _, base in variants(runs, (PRELOAD_VARIABLE,)):
        name = allocator_of(run)
        if name is None or run.release is None:
            continue
        ratio = headline(run)
        numpy = run.get(Bench.ALLOC, "numpy.zeros", HEADLINE_SIZE)
        glibc_numpy = base.get(Bench.ALLOC, "numpy.zeros", HEADLINE_SIZE) if base else None
        cost = numpy / glibc_numpy if numpy and glibc_numpy else None
        faults = run.get(Bench.FAULTS_ALLOC, "numba.zeros", HEADLINE_SIZE)
        if ratio is None:
            continue
        numba = run.get(Bench.ALLOC, "numba.zeros", HEADLINE_SIZE)
        cliff_from = run.get(Bench.CLIFF_NUMBA)
        glibc_numba = base.get(Bench.ALLOC, "numba.zeros", HEADLINE_SIZE) if base else None
        if ratio < CLOSE:
            gain = numba / glibc_numba if numba and glibc_numba else None
            removes.append(f"{name}, where numpy's np.zeros takes {_x(cost)} its time under "
                           f"glibc's malloc and numba's {_x(gain)}")  # fmt: skip
        lines.append(
            f"- **{name}** (numba {_name(run.label)}, {_name(base_env)}, {_name(run.machine)}): "
            f"at 256 MiB np.zeros inside @njit takes {_x(ratio)} numpy's np.zeros"
            + (f" ({_x(headline(base))} under glibc's malloc)" if base and headline(base) else "")
            + (f", {faults:,.0f} page faults per call" if faults is not None else "")
            + f"; numpy's np.zeros takes {_seconds(numpy)}"
            + (f", {_x(cost)} its time under glibc's malloc" if cost else "")
            + (
                f"; numba's np.zeros faults every page from {_bytes(cliff_from)}."
                if cliff_from
                else "; no cliff measured (bench_cliff is n/a under it)."
            )
        )
    if not lines:
        return ["Not measured in these results (the LD_PRELOAD environments of asv.conf.json)."]
    verdict = (
        f"- **Closes the gap** (numba's np.zeros within {_x(CLOSE)} of numpy's at 256 MiB): "
        + "; ".join(removes)
        + "."
        if removes
        else f"- **No allocator closes the gap**: under each, numba's np.zeros stays over "
        f"{_x(CLOSE)} numpy's at 256 MiB."
    )
    return [verdict, *lines]


def _plain(runs: Sequence[Run]) -> List[Run]:
    return [r for r in runs if is_plain(r)]


def _values(runs: Sequence[Run], benchmark: str, *params: object) -> List[float]:
    return [v for v in (r.get(benchmark, *params) for r in runs) if v is not None]


def compiled_code(runs: Sequence[Run]) -> List[str]:
    """What the compiled code of np.zeros and allocbench.zeros calls, release by release."""
    lines = []
    for path, words in (("numba.zeros", "np.zeros inside @njit"),
                        ("allocbench.zeros", "allocbench.zeros")):  # fmt: skip
        fills = {r.label: r.get(Bench.WHOLE_BLOCK_FILLS, path) for r in _plain(runs)}
        callocs = {r.label: r.get(Bench.CALLOC_CALLS, path) for r in _plain(runs)}
        keys = {r.label: r.release.key for r in _plain(runs)}
        measured = sorted((k for k, v in fills.items() if v is not None), key=keys.__getitem__)
        if not measured:
            continue
        filling = [v for v in measured if fills[v]]
        calloc = [v for v in measured if callocs.get(v)]
        ends = measured[:1] if len(measured) == 1 else [measured[0], measured[-1]]
        span = " to ".join(_name(v) for v in ends)
        lines.append(
            f"- **{words}** (numba {span}, read from the LLVM IR numba generates): "
            + (f"a memset over the whole block after numba's runtime allocates it, in "
               f"{len(filling)} of {len(measured)} releases" if filling
               else "no memset over the block")
            + (f"; calloc in {len(calloc)} of {len(measured)}" if calloc else "")
            + "."
        )  # fmt: skip
    return lines


def faults(runs: Sequence[Run]) -> List[str]:
    """Page faults per call at 256 MiB, allocation alone: the cost of the fill, counted."""
    lines = []
    numba = _values(_plain(runs), Bench.FAULTS_ALLOC, "numba.zeros", HEADLINE_SIZE)
    numpy = _values(_plain(runs), Bench.FAULTS_ALLOC, "numpy.zeros", HEADLINE_SIZE)
    if numba and numpy:
        pages = HEADLINE_SIZE // 4096
        lines.append(
            f"- **Page faults per call at 256 MiB** (allocation alone, exact counts, "
            f"median per call): np.zeros inside @njit takes {min(numba):,.0f} to "
            f"{max(numba):,.0f} ({pages:,} pages of 4 KiB), numpy's np.zeros "
            f"{min(numpy):,.0f} to {max(numpy):,.0f}: numpy's calloc hands out fresh pages "
            f"that nobody has touched yet, numba writes a zero into every one of them."
        )
    return lines


def cliff(runs: Sequence[Run]) -> List[str]:
    """Where glibc stops serving the block from its heap, measured and predicted."""
    numba = _values(_plain(runs), Bench.CLIFF_NUMBA)
    numpy = _values(_plain(runs), Bench.CLIFF_NUMPY)
    if not (numba and numpy):
        return []
    return [
        f"- **The 32 MiB line is glibc's**: numba's np.zeros faults in every page from "
        f"{statistics.median(numba):,.0f} bytes, numpy's np.zeros stays lazy from "
        f"{statistics.median(numpy):,.0f} bytes (medians over the runs); glibc's largest mmap "
        f"threshold is {MMAP_THRESHOLD_MAX:,} bytes. Below it malloc and calloc reuse memory "
        f"that is already resident, so both zero it alike; above it calloc gets fresh pages "
        f"from the kernel, already zero, and numba's malloc + memset touches every one."
    ]


def machines(runs: Sequence[Run]) -> List[str]:
    """The machine facts recorded with the results."""
    lines = []
    for name in sorted({r.machine for r in runs}):
        mine = [r for r in runs if r.machine == name]
        glibc = {r.get(Bench.GLIBC) for r in mine} - {None}
        thp = {r.get(Bench.THP) for r in mine} - {None}
        page = {r.get(Bench.PAGE) for r in mine} - {None}
        facts = [
            "glibc " + ", ".join(f"{v:.2f}" for v in sorted(glibc)) if glibc else "libc: n/a",
            "transparent huge pages " + ", ".join(THP_NAMES.get(int(v), "?") for v in thp)
            if thp
            else "Bench.THP: n/a",
            ", ".join(f"{int(v)}-byte pages" for v in page) if page else "page size: n/a",
        ]
        lines.append(f"- {_name(name)}: {'; '.join(facts)}.")
    return lines


def fresh_table(runs: Sequence[Run]) -> List[str]:
    """First call in a fresh process against the steady state, where measured."""
    rows = []
    for run in runs:
        names = run.param_names.get(Bench.FRESH_FIRST, ())
        for (benchmark, params), first in sorted(run.values.items(), key=str):
            if benchmark != Bench.FRESH_FIRST or not {"path", "size"} <= set(names):
                continue
            steady = run.get(Bench.FRESH_STEADY, *params)
            named = dict(zip(names, params))
            rows.append(
                f"| {_name(run.env)} | {_name(run.label)} | {_name(named['path'])} "
                f"| {format_size(named['size'])} | {_seconds(first)} | {_seconds(steady)} |"
            )
    if not rows:
        return ["Not measured in these results (`asv run --bench bench_fresh`)."]
    return ["| environment | release | path | size | first call | steady |",
            "| --- | --- | --- | --- | --- | --- |", *rows]  # fmt: skip


def make_folder(path: pathlib.Path) -> None:
    """Create the folder `path` and its parents where missing; FileError naming it where it
    cannot be created (a read-only or full disk)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise files.write_error(path, exc) from None


def write(
    results_dir: PathLike,
    out_dir: PathLike,
    table: Sequence[Release],
    machine: Optional[str] = None,
) -> pathlib.Path:
    """Write the report; the path of its Markdown file. ResultsError for unusable results or
    an output folder that cannot be one; FileError for a file that cannot be written (each file
    is replaced whole or left as it was)."""
    out = pathlib.Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out} exists and is not a folder: the report needs a folder")
    if not out.parent.is_dir():
        raise ResultsError(f"{out.parent}: no such folder to write the report in")
    by_commit = release_by_commit(table)
    runs = collect(load(results_dir, by_commit), table, machine, by_commit)
    if not runs:
        raise ResultsError(f"{results_dir}: every result in it failed or was skipped")
    make_folder(out)
    unknown = sorted({r.commit[:8] for r in runs if r.release is None})
    keys = {r.release.numba: r.release.key for r in runs if r.release}
    versions = sorted(keys, key=keys.__getitem__)
    lines = [
        "# Where the slowdown appears",
        "",
        f"From {_code(results_dir)}: {len(runs)} runs, machines "
        f"{', '.join(_name(m) for m in sorted({r.machine for r in runs}))}; releases "
        f"{', '.join(_name(v) for v in versions)}."
        + (
            f" Commits that are not numba releases: {', '.join(_name(c) for c in unknown)}."
            if unknown
            else ""
        ),
        "Written by `allocbench report`; every figure below is read from those results.",
        "",
        "## In short",
        "",
        *summary(runs),
        *release_steps(runs),
        "",
        "## What to do about it",
        "",
        *advice(runs),
        "",
    ]
    lines += ["## The machines", "", *machines(runs), ""]
    lines += ["## Why: the compiled code, the page faults, glibc's threshold", "",
              *compiled_code(runs), *faults(runs), *cliff(runs), ""]  # fmt: skip
    lines += ["## The mechanism: the same runs under glibc tunables", "", *tunables(runs), ""]
    lines += ["## numba's np.zeros fixed: the run-time switch and the patched build", "",
              *switched(runs), ""]  # fmt: skip
    lines += ["## Other allocators in place of glibc's malloc", "", *allocators(runs), ""]
    lines += ["## From several threads; import and compile time", "",
              *threads(runs), *startup(runs), ""]  # fmt: skip
    for (machine_name, env), series in by_series(runs).items():
        lines += [f"## {_name(env)} on {_name(machine_name)}", "", *_cliff_table(series), ""]
    lines += ["## First call against steady state", "", *fresh_table(runs), ""]
    seed = plot_seed_figure(runs, out / "seed_figure.png")
    if seed:
        lines += ["## The seed's figure, from these results", "",
                  "![time against size](seed_figure.png)", "",
                  f"(numba {_name(seed.label)}, {_name(seed.env)} on {_name(seed.machine)}.)",
                  ""]  # fmt: skip
    if plot_ratio_by_release(runs, out / "ratio_by_release.png"):
        lines += ["## The ratio by release", "", "![ratio by release](ratio_by_release.png)", ""]
    report = out / "README.md"
    files.write_text(report, "\n".join(lines))
    return report
