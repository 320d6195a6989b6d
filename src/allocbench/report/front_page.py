"""The published site's front page (answer.html): where the slowdown appears, why, and what
to do, from the report's sections' findings written as HTML, each group with its plot and a
link into the asv graph that shows it, opened with the right parameters.
"""

from __future__ import annotations

import html
import pathlib
from typing import Dict, Optional, Sequence

from allocbench.catalog import BUILD_VARIABLE, HEADLINE_SIZE, SWITCH_VARIABLE, Bench, format_size
from allocbench.history.install_release import PATCHED
from allocbench.report import figures as plots
from allocbench.report import render_html
from allocbench.report.findings import Figure, Link
from allocbench.report.links import asv_envs, graph_link
from allocbench.report.readme import make_folder
from allocbench.report.runs import FIXED, Run, is_plain
from allocbench.report.sections.advice import advice
from allocbench.report.sections.allocators import allocators
from allocbench.report.sections.fixed import switched
from allocbench.report.sections.mechanism import tunables
from allocbench.report.sections.steps import release_steps
from allocbench.report.sections.summary import summary
from allocbench.report.sections.threads_and_startup import startup, threads
from allocbench.report.sections.why import cliff, compiled_code, counting, faults
from allocbench.report.verdicts import Checks

FRONT_PAGE = "answer.html"
ASSETS = "answer"

#: The variants the front page links to, by the variables they set.
PLAIN = asv_envs({})
SWITCH_ON = asv_envs({SWITCH_VARIABLE: "1"})
PATCHED_BUILD = asv_envs({BUILD_VARIABLE: PATCHED})


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
    return render_html.figure(Figure(image, caption, Link(words, link)), ASSETS)


def _draw(runs: Sequence[Run], assets: pathlib.Path) -> Dict[str, Optional[str]]:
    make_folder(assets)
    each = (
        ("sweep", "sweep.png", plots.plot_sweep),
        ("ratio", "ratio_by_release.png", plots.plot_ratio_by_release),
        ("faults", "faults.png", plots.plot_faults),
        ("fix", "fix.png", plots.plot_fix),
    )
    return {key: name if plot(runs, assets / name) else None for key, name, plot in each}


def front_page(runs: Sequence[Run], assets: pathlib.Path, checks: Optional[Checks] = None) -> str:
    """The front page's HTML; its plots are drawn into `assets`; steps as their
    confirmations (`checks`) say."""
    drawn = _draw(runs, assets)
    releases = sorted({r.release.key: r.label for r in runs if r.release}.items())
    machines = ", ".join(sorted({r.machine for r in runs}))
    span = f"{releases[0][1]} to {releases[-1][1]}" if releases else "none"

    def link(benchmark: str, variant: Dict = PLAIN, **options: object) -> str:
        return graph_link(benchmark, envs=measured_in(runs, benchmark, variant), **options)

    zeros = {"path": ["numba.zeros", "numpy.zeros"]}
    at_256 = {**zeros, "size": [format_size(HEADLINE_SIZE)]}
    where = [
        render_html.findings(summary(runs) + release_steps(runs, checks)),
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
        render_html.findings(compiled_code(runs) + faults(runs) + cliff(runs) + counting(runs)),
        _figure(drawn["faults"], "Minor page faults per call against size.",
                link(Bench.FAULTS_ALLOC, x_axis="size", log=True,
                     params={"path": ["numba.zeros", "numpy.zeros", "allocbench.zeros"]}),
                "Open the asv graph."),
        _figure(None, "The compiled code's calls, release by release:",
                link(Bench.WHOLE_BLOCK_FILLS), "memsets over the whole block in asv."),
        "<h3>The same runs under glibc tunables</h3>", render_html.findings(tunables(runs)),
        "<h3>Another malloc in place of glibc's</h3>", render_html.findings(allocators(runs)),
        "<h3>From several threads; import and compile time</h3>",
        render_html.findings(threads(runs) + startup(runs)),
        _figure(None, "numba's np.zeros's time on every core over perfect scaling, release by "
                "release:",
                link(Bench.THREAD_SCALING, params={"path": ["numba.zeros"]}),
                "on every core in asv;"),
        _figure(None, "", link(Bench.IMPORT_NUMBA), "import numba;"),
        _figure(None, "", link(Bench.FIRST_CALL, params={"path": ["numba.zeros"]}),
                "the first call of np.zeros inside @njit."),
    ]  # fmt: skip
    what = [
        render_html.findings(advice(runs)),
        "<h3>Existing code, unchanged: the run-time switch, and numba patched</h3>",
        "<p><code>allocbench.patch_numba_zeros()</code> (or <code>ALLOCBENCH_PATCH_NUMBA_ZEROS=1"
        "</code> in the environment) makes <code>np.zeros</code> and <code>np.zeros_like</code> "
        "in every <code>@njit</code> function compiled afterwards calloc-backed, numba 0.54 on; "
        "the patch to numba itself (<code>allocbench build-numba</code>) does the same in "
        "numba's runtime. Measured by this suite:</p>",
        render_html.findings(switched(runs)),
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
