"""The Markdown report (report/README.md): its sections' findings in order, and its plots."""

from __future__ import annotations

import pathlib
from typing import List, Optional, Sequence, Tuple, Union

from allocbench import files
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.releases import Release
from allocbench.report import render_markdown, verdicts
from allocbench.report.figures import plot_ratio_by_release, plot_seed_figure
from allocbench.report.findings import Block, Code, Figure, Finding, Name, Text, join
from allocbench.report.runs import Run, attach_loads, by_series, collect
from allocbench.report.sections.advice import advice
from allocbench.report.sections.allocators import allocators
from allocbench.report.sections.fixed import switched
from allocbench.report.sections.machines import busy, machines
from allocbench.report.sections.mechanism import tunables
from allocbench.report.sections.steps import release_steps
from allocbench.report.sections.summary import summary
from allocbench.report.sections.tables import cliff_table, fresh_table
from allocbench.report.sections.threads_and_startup import startup, threads
from allocbench.report.sections.why import cliff, compiled_code, counting, faults
from allocbench.report.verdicts import Checks
from allocbench.results import ResultsError, load

PathLike = Union[str, pathlib.Path]


def make_folder(path: pathlib.Path) -> None:
    """Create the folder `path` and its parents where missing; FileError naming it where it
    cannot be created (a read-only or full disk)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise files.write_error(path, exc) from None


def _opening(results_dir: PathLike, runs: Sequence[Run]) -> List[str]:
    unknown = sorted({r.commit[:8] for r in runs if r.release is None})
    keys = {r.release.numba: r.release.key for r in runs if r.release}
    versions = sorted(keys, key=keys.__getitem__)
    where = Text.of(
        "From ", Code(results_dir), f": {len(runs)} runs, machines ",
        join([Name(m) for m in sorted({r.machine for r in runs})], ", "), "; releases ",
        join([Name(v) for v in versions], ", "), ".",
        *((" Commits that are not numba releases: ", join([Name(c) for c in unknown], ", "), ".")
          if unknown else ()),
    )  # fmt: skip
    return [
        "# Where the slowdown appears",
        "",
        render_markdown.inline(where),
        "Written by `allocbench report`; every figure below is read from those results.",
    ]


def sections(
    runs: Sequence[Run], out: pathlib.Path, checks: Optional[Checks] = None
) -> List[Tuple[Text, List[Block]]]:
    """The report's sections, titled, in order; the plots drawn into `out`; steps as their
    confirmations (`checks`) say."""
    found: List[Tuple[Text, List[Block]]] = [
        (Text.of("In short"), summary(runs) + release_steps(runs, checks)),
        (Text.of("What to do about it"), advice(runs)),
        (Text.of("The machines"), machines(runs) + busy(runs)),
        (Text.of("Why: the compiled code, page faults, glibc's threshold, numba's counting"),
         compiled_code(runs) + faults(runs) + cliff(runs) + counting(runs)),
        (Text.of("The mechanism: the same runs under glibc tunables"), tunables(runs)),
        (Text.of("numba's np.zeros fixed: the run-time switch and the patched build"),
         switched(runs)),
        (Text.of("Other allocators in place of glibc's malloc"), allocators(runs)),
        (Text.of("From several threads; import and compile time"), threads(runs) + startup(runs)),
    ]  # fmt: skip
    for (machine, env), series in by_series(runs).items():
        found.append((Text.of(Name(env), " on ", Name(machine)), cliff_table(series)))
    found.append((Text.of("First call against steady state"), fresh_table(runs)))
    seed = plot_seed_figure(runs, out / "seed_figure.png")
    if seed:
        caption = Text.of("(numba ", Name(seed.label), ", ", Name(seed.env), " on ",
                          Name(seed.machine), ".)")  # fmt: skip
        figure = Figure("seed_figure.png", "time against size")
        found.append((Text.of("The seed's figure, from these results"),
                      [Finding(caption, bullet=False, figures=(figure,))]))  # fmt: skip
    if plot_ratio_by_release(runs, out / "ratio_by_release.png"):
        figure = Figure("ratio_by_release.png", "ratio by release")
        found.append((Text.of("The ratio by release"), [Finding(Text(), figures=(figure,))]))
    return found


def write(
    results_dir: PathLike,
    out_dir: PathLike,
    table: Sequence[Release],
    machine: Optional[str] = None,
    candidates: Sequence[Release] = (),
) -> pathlib.Path:
    """Write the report (release candidates measured: `candidates`); the path of its Markdown
    file. ResultsError for unusable results or
    an output folder that cannot be one; FileError for a file that cannot be written (each file
    is replaced whole or left as it was)."""
    out = pathlib.Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out} exists and is not a folder: the report needs a folder")
    if not out.parent.is_dir():
        raise ResultsError(f"{out.parent}: no such folder to write the report in")
    by_commit = release_by_commit(table, candidates)
    runs = collect(load(results_dir, by_commit), table, machine, by_commit)
    if not runs:
        raise ResultsError(f"{results_dir}: every result in it failed or was skipped")
    attach_loads(runs, pathlib.Path(results_dir))
    make_folder(out)
    lines = _opening(results_dir, runs)
    for title, blocks in sections(runs, out, verdicts.load(pathlib.Path(results_dir))):
        lines += ["", f"## {render_markdown.inline(title)}", "", *render_markdown.lines(blocks)]
    report = out / "README.md"
    files.write_text(report, "\n".join([*lines, ""]))
    return report
