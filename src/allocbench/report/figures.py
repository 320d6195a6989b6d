"""The report's and the front page's plots, drawn with matplotlib from the runs."""

from __future__ import annotations

import pathlib
from typing import Optional, Sequence

from allocbench.catalog import MMAP_THRESHOLD_MAX, Bench, MiB
from allocbench.report.runs import TUNED, Run, by_series, headline


def _pyplot():
    """matplotlib's pyplot, drawing to files (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_seed_figure(runs: Sequence[Run], path: pathlib.Path) -> Optional[str]:
    """The seed's figure from real results: time against size, one line per path."""
    candidates = [r for r in runs if any(b == Bench.ALLOC for b, _ in r.values) and r.release]
    if not candidates:
        return None
    run = max(candidates, key=lambda r: (sum(b == Bench.ALLOC for b, _ in r.values), r.release.key))
    plt = _pyplot()

    paths = sorted({p[0] for b, p in run.values if b == Bench.ALLOC})
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in paths:
        points = sorted(
            (p[1], v) for (b, p), v in run.values.items() if b == Bench.ALLOC and p[0] == name
        )
        if len(points) > 1:
            ax.plot([n / MiB for n, _ in points], [v for _, v in points], marker=".", label=name)
    ax.axvline(MMAP_THRESHOLD_MAX / MiB, color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Size of array in MiB")
    ax.set_ylabel("Time per allocation (s)")
    ax.set_title(f"Allocation alone: numba {run.label}, {run.env}, {run.machine}")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"numba {run.label}, {run.env} on {run.machine}"


def plot_ratio_by_release(runs: Sequence[Run], path: pathlib.Path) -> bool:
    """numba.zeros / numpy.zeros at 256 MiB against the numba release date."""
    series = {
        key: [(r.release.released, headline(r), r.label) for r in rs if r.release]
        for key, rs in by_series(runs).items()
        if TUNED not in key[1]
    }
    series = {k: [p for p in v if p[1] is not None] for k, v in series.items()}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return False
    plt = _pyplot()

    fig, ax = plt.subplots(figsize=(9, 5))
    for (machine, env), points in sorted(series.items()):
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                label=f"{env.replace('virtualenv-', '')} ({machine})")  # fmt: skip
        for when, ratio, label in points:
            ax.annotate(label, (when, ratio), fontsize=6, xytext=(2, 3),
                        textcoords="offset points")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(1, 10 * max(p[1] for points in series.values() for p in points))
    ax.axhline(1, color="gray", lw=0.8)
    ax.set_xlabel("numba release date")
    ax.set_ylabel("numba np.zeros / numpy np.zeros, 256 MiB")
    ax.set_title("The slowdown by numba release (allocation alone)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
