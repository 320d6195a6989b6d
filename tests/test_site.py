"""The published site's front page, its links into asv's graphs, and a grid without empty tiles."""

import json
import urllib.parse

import pytest

from allocbench.catalog import Bench
from allocbench.history import job, releases
from allocbench.report import site
from allocbench.report.front_page import PLAIN
from allocbench.report.links import graph_link
from tests.asvtools import RELEASES


def test_graph_link_opens_asv_on_the_parameters_given():
    params = {"path": ["numba.zeros", "numpy.zeros"], "size": ["1 MiB"]}
    link = graph_link(Bench.ALLOC, x_axis="size", log=True, params=params, envs=PLAIN)
    page, _, fragment = link.partition("#")
    name, _, query = fragment.partition("?")
    assert page == "index.html" and name == Bench.ALLOC
    pairs = urllib.parse.parse_qsl(query)
    assert ("p-path", "'numba.zeros'") in pairs and ("p-path", "'numpy.zeros'") in pairs
    assert ("p-size", "'1 MiB'") in pairs
    assert ("x-axis", "size") in pairs and ("y-axis-scale", "log") in pairs
    assert ("env-GLIBC_TUNABLES", "[none]") in pairs


def test_a_named_machine_gets_a_fixed_identity():
    assert job.machine_identity(None) == []
    options = job.machine_identity("gha-linux")
    fields = dict(zip(options[::2], options[1::2]))
    assert fields["--machine"] == "gha-linux"
    assert {"--os", "--arch", "--cpu", "--num_cpu", "--ram"} <= set(fields)
    assert "fixed" in fields["--cpu"] and fields["--ram"] == "fixed"


@pytest.fixture(scope="module")
def front(published_site, quick_run, tmp_path_factory):
    """The quick run's published site with the front page written into a copy of it."""
    (asv_tmp, _, _, _), _ = quick_run
    html = tmp_path_factory.mktemp("site") / "html"
    import shutil

    shutil.copytree(published_site, html)
    table = [releases.find(releases.load(), v) for v in RELEASES]
    page = site.publish(html, asv_tmp / "results", table)
    return html, page


@pytest.mark.slow
def test_the_front_page_answers_from_the_results(front):
    html, page = front
    text = page.read_text()
    assert page.name == "answer.html"
    for heading in ("Where the slowdown appears", "Why", "What to do"):
        assert heading in text
    assert "slowdown is there in every release" in text
    assert "numba 0.57.1 to 0.68.1" in text
    assert 'src="answer/ratio_by_release.png"' in text
    assert (html / "answer" / "ratio_by_release.png").stat().st_size > 1000
    assert f"index.html#{Bench.ALLOC}?" in text
    assert "From several threads; import and compile time" in text
    assert f'href="index.html#{Bench.IMPORT_NUMBA}' in text
    assert f'href="index.html#{Bench.THREAD_SCALING}?p-path=%27numba.zeros%27' in text


@pytest.mark.slow
def test_the_grid_lists_only_measured_benchmarks(front):
    html, _ = front
    listed = set(json.loads((html / "index.json").read_text())["benchmarks"])
    assert listed and listed <= site.measured_benchmarks(html)
    assert "bench_alloc.Layout.time_alloc" not in listed  # the quick run did not measure it


@pytest.mark.slow
def test_asv_links_to_the_front_page_and_to_numba_releases(front):
    html, _ = front
    index = (html / "index.html").read_text()
    assert index.count('href="answer.html"') == 1
    site.link_front_page(html)  # a second time changes nothing
    assert (html / "index.html").read_text() == index
    pages = sorted((html / "commits").glob("*/index.html"))
    assert len(pages) == len(RELEASES)
    texts = [p.read_text() for p in pages]
    assert any("releases/tag/0.68.1" in t and "compare/0.57.1...0.68.1" in t for t in texts)


def test_no_site_is_a_clear_error(tmp_path):
    from allocbench.results import ResultsError

    with pytest.raises(ResultsError, match="no asv site"):
        site.publish(tmp_path, tmp_path, releases.load())


@pytest.mark.slow
def test_the_graph_page_draws_sizes_as_lines_and_keeps_legends_short(front):
    html, _ = front
    code = (html / "graphdisplay.js").read_text()
    assert site._CATEGORY_LINES in code and not site._CATEGORY_BARS.search(code)
    assert site._LEGEND_SMALL in code
    assert site.adjust_graph_page(html)  # a second time changes nothing
    assert (html / "graphdisplay.js").read_text() == code
