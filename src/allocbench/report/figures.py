"""The report's and the front page's plots, drawn with matplotlib from the runs.

Each is written to a temporary file beside its path and renamed over it (allocbench.files), so
that a full disk leaves the plot before it whole and no truncated PNG; a name from the results
is drawn as it is written (a "$" in it opens no formula).
"""

from __future__ import annotations

import pathlib
from typing import Optional, Sequence

from allocbench import files
from allocbench.catalog import MMAP_THRESHOLD_MAX, SWEEP_NS, Bench, MiB, format_size
from allocbench.report.runs import (
    Run,
    by_series,
    environment_label,
    headline,
    is_plain,
    newest_with,
)


def _pyplot():
    """matplotlib's pyplot, drawing to files (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _text(value: object) -> str:
    """A name from the results as matplotlib text: a "$" in it shown, not read as math."""
    return str(value).replace("$", r"\$")


def _save(fig, path: pathlib.Path) -> None:
    """Lay out `fig`, write it to `path` as PNG (atomically: FileError naming `path` if it cannot
    be written, the file before left whole) and close it."""
    try:
        fig.tight_layout()
        with files.replacing(path) as temporary:
            fig.savefig(temporary, format="png", dpi=100)
    finally:
        _pyplot().close(fig)


def plot_seed_figure(runs: Sequence[Run], path: pathlib.Path) -> Optional[Run]:
    """The seed's figure from real results: time against size, one line per path; the run
    drawn, or None where no run measured it."""
    candidates = [r for r in runs if any(b == Bench.ALLOC for b, _ in r.values) and r.release]
    if not candidates:
        return None
    run = max(candidates, key=lambda r: (sum(b == Bench.ALLOC for b, _ in r.values), r.release.key))
    plt = _pyplot()

    paths = run.values_of(Bench.ALLOC, "path")
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in paths:
        points = run.points(Bench.ALLOC, "size", path=name)
        if len(points) > 1:
            ax.plot(
                [n / MiB for n, _ in points], [v for _, v in points], marker=".", label=_text(name)
            )
    ax.axvline(MMAP_THRESHOLD_MAX / MiB, color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Size of array in MiB")
    ax.set_ylabel("Time per allocation (s)")
    ax.set_title(_text(f"Allocation alone: numba {run.label}, {run.env}, {run.machine}"))
    ax.legend(fontsize=7, loc="upper left")
    _save(fig, path)
    return run


def plot_ratio_by_release(runs: Sequence[Run], path: pathlib.Path) -> bool:
    """numba.zeros / numpy.zeros at 256 MiB against the numba release date, stock numba under
    glibc's malloc (the plain environments); each minor release named once, at its first
    point."""
    series = {
        key: [(r.release.released, headline(r), r.label) for r in rs if r.release]
        for key, rs in by_series([r for r in runs if is_plain(r)]).items()
    }
    series = {k: [p for p in v if p[1] is not None] for k, v in series.items()}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return False
    labels = {(r.machine, r.env): environment_label(r) for r in runs}
    plt = _pyplot()

    fig, ax = plt.subplots(figsize=(9, 5))
    named = set()
    for (machine, env), points in sorted(series.items()):
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                label=_text(f"{labels[(machine, env)]} ({machine})"))  # fmt: skip
        for when, ratio, label in sorted(points):
            minor = label.rsplit(".", 1)[0]
            if minor not in named:
                named.add(minor)
                ax.annotate(_text(minor), (when, ratio), fontsize=7, xytext=(0, 6), ha="center",
                            textcoords="offset points")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1, 10 * max(p[1] for points in series.values() for p in points))
    ax.axhline(1, color="gray", lw=0.8)
    ax.set_xlabel("numba release date")
    ax.set_ylabel("numba np.zeros / numpy np.zeros, 256 MiB")
    ax.set_title("The slowdown by numba release (allocation alone)")
    ax.legend(fontsize=7)
    _save(fig, path)
    return True


def _title(run: Run) -> str:
    return _text(f"numba {run.label}, {environment_label(run)}, {run.machine}")


def plot_sweep(runs: Sequence[Run], path: pathlib.Path) -> bool:
    """The seed's own figure from bench_seed.SeedSweep: time per call against size in MiB."""
    run = newest_with(runs, Bench.SWEEP_NUMBA)
    if run is None:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    for benchmark, label in ((Bench.SWEEP_NUMPY, "Numpy zeros (calloc)"),
                             (Bench.SWEEP_NUMBA, "Numba zeros"),
                             (Bench.SWEEP_LOOP, "Numba nested loop")):  # fmt: skip
        points = [(n * n * 8 / MiB, v) for n, v in run.points(benchmark, "n")]
        if points:
            ax.plot([x for x, _ in points], [y for _, y in points], label=label)
    ax.axvline(MMAP_THRESHOLD_MAX / MiB, color="gray", lw=0.8)
    ax.set_xticks(range(0, int(SWEEP_NS[-1] ** 2 * 8 / MiB) + 16, 16))
    ax.set_xlabel("Size of array in MiB")
    ax.set_ylabel("Median time per call (s)")
    ax.set_title(f"The seed's figure, measured: {_title(run)}")
    ax.legend(loc="upper left")
    _save(fig, path)
    return True


def _by_size(ax, run: Run, benchmark: str, paths: Sequence[str]) -> None:
    sizes = run.values_of(benchmark, "size")
    for name in paths:
        values = dict(run.points(benchmark, "size", path=name))
        ax.plot(range(len(sizes)), [values.get(n) for n in sizes], marker="o", label=name)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([format_size(n) for n in sizes], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel("Size of array (evenly spaced)")


def plot_faults(runs: Sequence[Run], path: pathlib.Path) -> bool:
    """Minor page faults per call, allocation alone, against size (bench_memory.PageFaults)."""
    run = newest_with(runs, Bench.FAULTS_ALLOC)
    if run is None:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    _by_size(ax, run, Bench.FAULTS_ALLOC, ["numba.zeros", "numpy.zeros", "allocbench.zeros"])
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Minor page faults per call (median)")
    ax.set_title(f"Page faults of the allocation alone: {_title(run)}")
    ax.legend(loc="upper left")
    _save(fig, path)
    return True


def plot_fix(runs: Sequence[Run], path: pathlib.Path) -> bool:
    """allocbench.zeros over numpy's np.zeros against size, alone and with every element
    written (bench_fix.FixAgainstNumpy), with the fix's targets."""
    run = newest_with(runs, Bench.FIX_NUMPY)
    if run is None:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    sizes = run.values_of(Bench.FIX_NUMPY, "size")
    for use, label in (("alone", "allocation alone"), ("write", "allocation + write")):
        values = dict(run.points(Bench.FIX_NUMPY, "size", use=use))
        ax.plot(range(len(sizes)), [values.get(n) for n in sizes], marker="o", label=label)
    for target, words in ((1.5, "target, alone"), (1.1, "target, + write")):
        ax.axhline(target, color="gray", lw=0.6, ls="--")
        ax.annotate(words, (0, target), fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.axhline(1, color="black", lw=0.8)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([format_size(n) for n in sizes], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, max(2.5, *(v for (b, _), v in run.values.items() if b == Bench.FIX_NUMPY)))
    ax.set_ylabel("allocbench.zeros / numpy np.zeros (median, same process)")
    ax.set_title(f"The fix against numpy's np.zeros: {_title(run)}")
    ax.legend(loc="upper right")
    _save(fig, path)
    return True
