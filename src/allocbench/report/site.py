"""The one publishing step after ``asv publish``: the front page, and a site that lists only
what was measured.

``asv publish`` writes a grid of every benchmark the suite defines, measured or not, and
graphs that a newcomer has to know how to read. After it, ``publish`` writes ``answer.html``
beside asv's pages (``front_page``), a page per ledger commit where asv's commit links lead,
drops from asv's index the benchmarks that have no result, so that the grid has no empty
tiles, and adds a link to the front page to asv's navigation. ``allocbench site`` and
``allocbench history`` both publish through it. Every file it writes or edits is replaced
whole (allocbench.files): a full or read-only disk is one line naming the file, and leaves the
file before it as it was.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys
from typing import Dict, List, Optional, Sequence, Set, Tuple

from allocbench import files
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.ledger import compare_url, release_notes_url
from allocbench.history.releases import Release, format_date
from allocbench.report import regressions, verdicts
from allocbench.report.front_page import ASSETS, FRONT_PAGE, front_page
from allocbench.report.readme import make_folder
from allocbench.report.runs import Run, collect
from allocbench.results import ResultsError, load

_NAV_MARK = "allocbench-front-page"


def measured_benchmarks(html_dir: pathlib.Path) -> Set[str]:
    """The benchmarks asv wrote at least one graph for."""
    return {path.stem for path in (html_dir / "graphs").rglob("*.json")}


def prune_unmeasured(html_dir: pathlib.Path) -> List[str]:
    """Drop from asv's index.json the benchmarks without a result; the names dropped."""
    index_path = html_dir / "index.json"
    index = files.load_json(index_path)
    measured = measured_benchmarks(html_dir)
    dropped = sorted(name for name in index["benchmarks"] if name not in measured)
    for name in dropped:
        del index["benchmarks"][name]
    files.write_text(index_path, json.dumps(index))
    return dropped


def link_front_page(html_dir: pathlib.Path) -> None:
    """Add 'Where, why, what to do' to the navigation bar of asv's index.html (once)."""
    index = html_dir / "index.html"
    page = files.read_text(index)
    if _NAV_MARK in page:
        return
    item = (f'<li id="{_NAV_MARK}"><a href="{FRONT_PAGE}"><b>Where, why, what to do</b></a>'
            "</li>")  # fmt: skip
    page, count = re.subn(r'(<li id="nav-li-")', item + r"\n\1", page, count=1)
    if count:
        files.write_text(index, page)


def commit_pages(html_dir: pathlib.Path, by_commit: Dict[str, Release]) -> int:
    """A page per ledger commit, where asv's commit links lead (``show_commit_url`` is
    ``commits/``): the numba release it stands for, its release notes, and numba's changes
    since the release before it (`by_commit`: runs.release_by_commit). The number of pages
    written."""
    previous: Optional[Release] = None
    for commit, release in by_commit.items():
        links = [f'<li><a href="{release_notes_url(release.numba)}">numba {release.numba}\'s '
                 "release notes</a></li>"]  # fmt: skip
        if previous is not None:
            changes = compare_url(previous.numba, release.numba)
            links.append(
                f'<li><a href="{changes}">numba\'s changes since {previous.numba}</a></li>'
            )
        folder = html_dir / "commits" / commit
        make_folder(folder)
        files.write_text(
            folder / "index.html",
            _COMMIT_PAGE.format(version=release.numba, date=format_date(release.released),
                                commit=commit, links="".join(links)),
        )  # fmt: skip
        previous = release
    return len(by_commit)


#: How asv 0.6's graph page draws a parameter axis of strings (bars from zero, which a log
#: scale cannot show), and what the site draws instead: lines through evenly spaced points.
_CATEGORY_BARS = re.compile(
    r"options\.series = \{\s*bars: \{\s*show: true,\s*barWidth: [^}]*\}\s*\};"
)
_CATEGORY_LINES = "/* allocbench: a size axis keeps the default lines and points */"


#: asv's graph page shows its legend for any number of lines; the site shows it for at most
#: this many, so that a graph of every environment opens on its lines, not on its legend
#: (the legend button, and hovering a point, still name them).
LEGEND_AT_MOST = 8
_LEGEND = "show: show_legend,"
_LEGEND_SMALL = f"show: show_legend && graphs.length <= {LEGEND_AT_MOST},"


def adjust_graph_page(html_dir: pathlib.Path) -> bool:
    """Make asv's graph page draw a size axis (labels such as '32 MiB', evenly spaced) as lines
    and points instead of bars, so that the log scale shows them, and show the legend only
    for a few lines; False where this asv's page is not the one expected (then it is left as
    it is)."""
    script = html_dir / "graphdisplay.js"
    if not script.is_file():
        return False
    code = files.read_text(script)
    if _CATEGORY_LINES in code and _LEGEND_SMALL in code:
        return True
    code, bars = _CATEGORY_BARS.subn(_CATEGORY_LINES, code)
    if bars != 1 or code.count(_LEGEND) != 1:
        return False
    files.write_text(script, code.replace(_LEGEND, _LEGEND_SMALL))
    return True


def publish(
    html_dir: pathlib.Path,
    results_dir: pathlib.Path,
    table: Sequence[Release],
    candidates: Sequence[Release] = (),
) -> pathlib.Path:
    """After ``asv publish``: the front page, the link to it, a page per ledger commit (the
    release candidates measured, `candidates`, among them) and no unmeasured benchmark in the
    index. ResultsError where the results or the site are not there; FileError naming the file
    that cannot be read or written."""
    if not (html_dir / "index.json").is_file():
        raise ResultsError(f"{html_dir}: no asv site here; run `asv publish` first")
    regressions.keep_confirmed(html_dir, pathlib.Path(results_dir), table, candidates)
    runs, by_commit = _runs(results_dir, table, candidates)
    prune_unmeasured(html_dir)
    return _write_pages(html_dir, results_dir, runs, by_commit)


def publish_pages(
    html_dir: pathlib.Path,
    results_dir: pathlib.Path,
    table: Sequence[Release],
    candidates: Sequence[Release] = (),
) -> pathlib.Path:
    """`publish` but for asv's index.json, which asv writes after its publishers: so
    ``asv publish`` itself calls this (allocbench.asv_plugin), and drops the unmeasured
    benchmarks from the index there. The front page's path."""
    runs, by_commit = _runs(results_dir, table, candidates)
    return _write_pages(html_dir, results_dir, runs, by_commit)


def _runs(results_dir: pathlib.Path, table: Sequence[Release], candidates: Sequence[Release]
          ) -> Tuple[List[Run], Dict[str, Release]]:  # fmt: skip
    """The runs in `results_dir` and the releases by ledger commit; ResultsError where none."""
    by_commit = release_by_commit(table, candidates)
    runs = collect(load(results_dir, by_commit), table, by_commit=by_commit)
    if not runs:
        raise ResultsError(f"{results_dir}: every result in it failed or was skipped")
    return runs, by_commit


def _write_pages(html_dir: pathlib.Path, results_dir: pathlib.Path, runs: List[Run],
                 by_commit: Dict[str, Release]) -> pathlib.Path:  # fmt: skip
    """The commit pages, the graph page's adjustment, the front page and its link."""
    commit_pages(html_dir, by_commit)
    if not adjust_graph_page(html_dir):
        print(f"{html_dir}: asv's graph page is not the one expected; left as asv wrote it",
              file=sys.stderr)  # fmt: skip
    page = html_dir / FRONT_PAGE
    checks = verdicts.load(results_dir, html_dir)
    files.write_text(page, front_page(runs, html_dir / ASSETS, checks))
    link_front_page(html_dir)
    return page


_COMMIT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>numba {version}</title>
<link rel="icon" href="../../swallow.ico"></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 2em auto;">
<h1>numba {version}</h1>
<p>Released {date}. In this site's history it is the ledger commit <code>{commit}</code>.</p>
<ul>{links}</ul>
<p><a href="../../answer.html">Where, why, what to do</a> ·
<a href="../../index.html">Benchmark grid</a></p>
</body></html>
"""
