"""The published site's front page, and a site that lists only what was measured.

``asv publish`` writes a grid of every benchmark the suite defines, measured or not, and
graphs that a newcomer has to know how to read. After it, this writes ``answer.html`` beside
asv's pages: where the slowdown appears, why, and what to do, each claim computed from the
results the site shows, with its plot and a link into the asv graph that shows it, opened
with the right parameters. It also drops from asv's index the benchmarks that have no result,
so that the grid has no empty tiles, and adds a link to the front page to asv's navigation.
Every file it writes or edits is replaced whole (allocbench.files): a full or read-only disk is
one line naming the file, and leaves the file before it as it was.
"""

from __future__ import annotations

import html
import json
import pathlib
import re
import sys
import urllib.parse
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from allocbench import files
from allocbench.catalog import BUILD_VARIABLE, HEADLINE_SIZE, SWITCH_VARIABLE, Bench, format_size
from allocbench.history.install_release import PATCHED
from allocbench.history.ledger import compare_url, release_notes_url
from allocbench.history.releases import Release, format_date
from allocbench.report import (
    advice,
    allocators,
    cliff,
    compiled_code,
    faults,
    make_folder,
    release_steps,
    summary,
    switched,
    tunables,
)
from allocbench.report import figures as plots
from allocbench.report.commits import release_by_commit
from allocbench.report.runs import FIXED, VARIANT_VARIABLES, Run, collect, is_plain
from allocbench.report.threads_and_startup import startup, threads
from allocbench.results import ResultsError, load

FRONT_PAGE = "answer.html"
ASSETS = "answer"
_NAV_MARK = "allocbench-front-page"


def asv_envs(variables: Mapping[str, str]) -> Dict[str, List[str]]:
    """The environments that set `variables` (and no other variant's), as asv's graph URLs
    name them: env-NAME, "[none]" for a variable not set."""
    return {f"env-{v}": [variables.get(v, "[none]")] for v in VARIANT_VARIABLES}


#: The variants the front page links to, by the variables they set.
PLAIN = asv_envs({})
SWITCH_ON = asv_envs({SWITCH_VARIABLE: "1"})
PATCHED_BUILD = asv_envs({BUILD_VARIABLE: PATCHED})


def graph_link(
    benchmark: str,
    x_axis: Optional[str] = None,
    log: bool = False,
    params: Optional[Dict[str, Sequence[object]]] = None,
    envs: Optional[Dict[str, Sequence[str]]] = None,
) -> str:
    """A link into asv's graph of `benchmark`, opened on the given parameter values (as the
    benchmark's code gives them), x-axis and log scale, and on the environments `envs` (asv's
    own keys and values: python, numpy, env-NAME; "[none]" for a variable not set)."""
    query: List[Tuple[str, str]] = []
    for name, values in (params or {}).items():
        query += [(f"p-{name}", repr(value)) for value in values]
    if x_axis:
        query.append(("x-axis", x_axis))
    if log:
        query.append(("y-axis-scale", "log"))
    for key, values in (envs or {}).items():
        query += [(key, value) for value in values]
    encoded = "&".join(
        f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}" for k, v in query
    )
    return f"index.html#{benchmark}" + (f"?{encoded}" if encoded else "")


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


#: What the report's sentences hold of Markdown: code spans (words.code), a character escaped by
#: a backslash or as an entity (words.name), and **bold**.
_MARKDOWN = re.compile(
    r"(?<!`)(?P<fence>`+)(?!`)(?P<code>.+?)(?<!`)(?P=fence)(?!`)"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<bold>\*\*)"
)


def _inline(text: str) -> str:
    """The report's Markdown sentences as HTML: **bold**, `code`, and every other character as
    the Markdown shows it, escaped."""
    out, bold, start = [], False, 0
    for match in _MARKDOWN.finditer(text):
        out.append(html.escape(text[start : match.start()]))
        start = match.end()
        code, escaped, entity = match.group("code", "escaped", "entity")
        if code is not None:
            if code.startswith(" ") and code.endswith(" ") and code.strip():
                code = code[1:-1]
            out.append(f"<code>{html.escape(code)}</code>")
        elif escaped is not None:
            out.append(html.escape(escaped))
        elif entity is not None:
            out.append(html.escape(html.unescape(entity)))
        else:
            out.append("</b>" if bold else "<b>")
            bold = not bold
    out.append(html.escape(text[start:]))
    return "".join(out) + ("</b>" if bold else "")


def _bullets(lines: Sequence[str]) -> str:
    items = [line[2:] for line in lines if line.startswith("- ")]
    rest = [line for line in lines if line and not line.startswith(("- ", "|"))]
    out = "".join(f"<li>{_inline(item)}</li>" for item in items)
    paragraphs = "".join(f"<p>{_inline(line)}</p>" for line in rest)
    return (f"<ul>{out}</ul>" if out else "") + paragraphs


def measured_in(runs: Sequence[Run], benchmark: str, variant: Dict[str, Sequence[str]]) -> Dict:
    """`variant` (PLAIN, SWITCH_ON, PATCHED_BUILD) narrowed to the Pythons whose runs of it
    measured `benchmark`, so that asv asks for no graph that does not exist."""
    wanted = {v: variant[f"env-{v}"][0] for v in FIXED if variant[f"env-{v}"] != ["[none]"]}
    having = [r for r in runs if any(b == benchmark for b, _ in r.values)
              and (all(r.env_vars.get(k) == v for k, v in wanted.items()) if wanted
                   else is_plain(r))]  # fmt: skip
    pythons = sorted({r.python for r in having if r.python})
    return {**variant, "python": pythons} if pythons else dict(variant)


def _figure(image: Optional[str], caption: str, link: str, words: str) -> str:
    picture = f'<img src="{ASSETS}/{image}" alt="{html.escape(caption)}">' if image else ""
    return (
        f"<figure>{picture}<figcaption>{html.escape(caption)} "
        f'<a href="{html.escape(link)}">{html.escape(words)}</a></figcaption></figure>'
    )


def _draw(runs: Sequence[Run], assets: pathlib.Path) -> Dict[str, Optional[str]]:
    make_folder(assets)
    drawn: Dict[str, Optional[str]] = {}
    drawn["sweep"] = "sweep.png" if plots.plot_sweep(runs, assets / "sweep.png") else None
    drawn["ratio"] = (
        "ratio_by_release.png" if plots.plot_ratio_by_release(runs, assets / "ratio_by_release.png")
        else None
    )  # fmt: skip
    drawn["faults"] = "faults.png" if plots.plot_faults(runs, assets / "faults.png") else None
    drawn["fix"] = "fix.png" if plots.plot_fix(runs, assets / "fix.png") else None
    return drawn


def front_page(runs: Sequence[Run], assets: pathlib.Path) -> str:
    """The front page's HTML; its plots are drawn into `assets`."""
    drawn = _draw(runs, assets)
    releases = sorted({r.release.key: r.label for r in runs if r.release}.items())
    machines = ", ".join(sorted({r.machine for r in runs}))
    span = f"{releases[0][1]} to {releases[-1][1]}" if releases else "none"

    def link(benchmark: str, variant: Dict = PLAIN, **options: object) -> str:
        return graph_link(benchmark, envs=measured_in(runs, benchmark, variant), **options)

    zeros = {"path": ["numba.zeros", "numpy.zeros"]}
    at_256 = {**zeros, "size": [format_size(HEADLINE_SIZE)]}
    where = [
        _bullets(summary(runs) + release_steps(runs)),
        _figure(drawn["sweep"], "The seed's figure, measured by this suite: time per call "
                "against size, the seed's three functions, 105 sizes.",
                link(Bench.SWEEP_NUMBA, x_axis="n"), "Open the asv graph."),
        _figure(None, "Allocation alone against size, np.zeros inside @njit beside numpy's, "
                "every release and environment on a log scale:",
                link(Bench.ALLOC, x_axis="size", log=True, params=zeros), "the cliff in asv."),
        _figure(drawn["ratio"], "The slowdown at 256 MiB by numba release.",
                link(Bench.ALLOC, params=at_256, log=True),
                "The same in asv, release by release."),
    ]  # fmt: skip
    why = [
        _bullets(compiled_code(runs) + faults(runs) + cliff(runs)),
        _figure(drawn["faults"], "Minor page faults per call against size.",
                link(Bench.FAULTS_ALLOC, x_axis="size", log=True,
                     params={"path": ["numba.zeros", "numpy.zeros", "allocbench.zeros"]}),
                "Open the asv graph."),
        _figure(None, "The compiled code's calls, release by release:",
                link(Bench.WHOLE_BLOCK_FILLS), "memsets over the whole block in asv."),
        "<h3>The same runs under glibc tunables</h3>", _bullets(tunables(runs)),
        "<h3>Another malloc in place of glibc's</h3>", _bullets(allocators(runs)),
        "<h3>From several threads; import and compile time</h3>",
        _bullets(threads(runs) + startup(runs)),
        _figure(None, "numba's np.zeros's time on every core over perfect scaling, release by "
                "release:",
                link(Bench.THREAD_SCALING, params={"path": ["numba.zeros"]}),
                "on every core in asv;"),
        _figure(None, "", link(Bench.IMPORT_NUMBA), "import numba;"),
        _figure(None, "", link(Bench.FIRST_CALL, params={"path": ["numba.zeros"]}),
                "the first call of np.zeros inside @njit."),
    ]  # fmt: skip
    what = [
        _bullets(advice(runs)),
        "<h3>Existing code, unchanged: the run-time switch, and numba patched</h3>",
        "<p><code>allocbench.patch_numba_zeros()</code> (or <code>ALLOCBENCH_PATCH_NUMBA_ZEROS=1"
        "</code> in the environment) makes <code>np.zeros</code> and <code>np.zeros_like</code> "
        "in every <code>@njit</code> function compiled afterwards calloc-backed, numba 0.54 on; "
        "the patch to numba itself (<code>allocbench build-numba</code>) does the same in "
        "numba's runtime. Measured by this suite:</p>",
        _bullets(switched(runs)),
        _figure(None, "np.zeros inside @njit over numpy's, timed alternately in one process, "
                "against size:", link(Bench.NUMBA_OVER_NUMPY, SWITCH_ON, x_axis="size"),
                "with the switch;"),
        _figure(None, "", link(Bench.NUMBA_OVER_NUMPY, PATCHED_BUILD, x_axis="size"),
                "with the patched numba;"),
        _figure(None, "allocation alone at 256 MiB, release by release:",
                link(Bench.ALLOC, SWITCH_ON, params=at_256, log=True), "with the switch."),
        _figure(drawn["fix"], "allocbench.zeros over numpy's np.zeros, timed alternately in one "
                "process, against size.",
                link(Bench.FIX_NUMPY, x_axis="size"), "Open the asv graph."),
        "<pre><code>import numba, numpy as np, allocbench\n\n@numba.njit\ndef work(n):\n"
        "    a = allocbench.zeros((n, n), np.float64)  # or allocbench.zeros_like(b)\n"
        "    ...</code></pre>",
    ]  # fmt: skip
    return _PAGE.format(
        span=html.escape(span),
        machines=html.escape(machines),
        runs=len(runs),
        where="\n".join(where),
        why="\n".join(why),
        what="\n".join(what),
    )


def publish(
    html_dir: pathlib.Path, results_dir: pathlib.Path, table: Sequence[Release]
) -> pathlib.Path:
    """After ``asv publish``: the front page, the link to it, and no unmeasured benchmark in the
    index. ResultsError where the results or the site are not there; FileError naming the file
    that cannot be read or written."""
    if not (html_dir / "index.json").is_file():
        raise ResultsError(f"{html_dir}: no asv site here; run `asv publish` first")
    by_commit = release_by_commit(table)
    runs = collect(load(results_dir, by_commit), table, by_commit=by_commit)
    if not runs:
        raise ResultsError(f"{results_dir}: every result in it failed or was skipped")
    prune_unmeasured(html_dir)
    commit_pages(html_dir, by_commit)
    if not adjust_graph_page(html_dir):
        print(f"{html_dir}: asv's graph page is not the one expected; left as asv wrote it",
              file=sys.stderr)  # fmt: skip
    page = html_dir / FRONT_PAGE
    files.write_text(page, front_page(runs, html_dir / ASSETS))
    link_front_page(html_dir)
    return page


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>np.zeros inside @njit: where it is slow, why, and what to do</title>
<link rel="icon" href="swallow.ico">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ddd; margin-top: 2em; }}
figure {{ margin: 1em 0; }} figure img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.9em; }} code {{ background: #f4f4f4; padding: 0 .2em; }}
pre {{ background: #f4f4f4; padding: 1em; }} nav a {{ margin-right: 1em; }}
</style></head>
<body>
<nav><a href="index.html">Benchmark grid</a><a href="index.html#regressions">Regressions</a>
<a href="#where">Where</a><a href="#why">Why</a><a href="#what">What to do</a></nav>
<h1>np.zeros inside <code>@njit</code>: where it is slow, why, and what to do</h1>
<p>numba users find that <code>np.zeros</code> inside an <code>@njit</code> function is
thousands of times slower than numpy's own <code>np.zeros</code> for large arrays, while the
same array allocated outside and passed in costs nothing. This page answers why, from {runs}
runs of this suite (numba {span}; machines: {machines}). Every figure on it is read from the
results the rest of this site shows, and each plot links to the asv graph it comes from.</p>
<h2 id="where">Where the slowdown appears</h2>
{where}
<h2 id="why">Why</h2>
{why}
<h2 id="what">What to do</h2>
{what}
</body></html>
"""

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
