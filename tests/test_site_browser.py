"""The published site in a real browser: headless Chromium opens the graph of a headline
benchmark from the real quick asv run and draws its points, with no error in the console.

asv 0.6.6's page loads jQuery, flot, bootstrap and a few plugins from CDNs, which this machine
cannot reach, so the test serves the same releases from their npm packages and points the
page's tags at them. Where the npm file is byte for byte the CDN's, the page's integrity hash
is kept and the browser checks it; flot's minified files and stupidtable 1.0.1 exist only on
cdnjs, so flot 0.8.3's own sources and stupid-table-plugin 1.1.3 stand in, unchecked. Every
other host is unresolvable in the browser, so nothing leaves the machine.
"""

import base64
import contextlib
import functools
import hashlib
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import threading

import pytest

from allocbench.history import releases
from allocbench.report import site as front
from tests.asvtools import RELEASES

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("ALLOCBENCH_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("ALLOCBENCH_CHROMEDRIVER") or "/usr/bin/chromedriver"
GRAPH = "bench_seed.SeedPlot.time_numba_zeros"

#: Each CDN address in asv's index.html: the npm package and the file in it that serve it.
CDN = {
    "https://code.jquery.com/jquery-3.3.1.min.js": ("jquery@3.3.1", "dist/jquery.min.js"),
    **{
        f"https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot{part}.min.js": (
            "flot@0.8.3",
            f"jquery.flot{part}.js",
        )
        for part in ("", ".time", ".selection", ".categories")
    },
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": (
        "flot-orderbars@1.0.0",
        "js/jquery.flot.orderBars.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": (
        "stupid-table-plugin@1.1.3",
        "stupidtable.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": (
        "blueimp-md5@2.19.0",
        "js/md5.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": (
        "bootstrap@3.1.1",
        "dist/js/bootstrap.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": (
        "bootstrap@3.1.1",
        "dist/css/bootstrap.min.css",
    ),
}

#: The plot asv draws with flot into #main-graph: one series per parameter value, as
#: [[x, y], ...] with y null where there is no value.
SERIES_JS = """
var plot = window.jQuery && jQuery('#main-graph').data('plot');
if (!plot) { return null; }
return plot.getData().map(function (s) {
    return s.data.map(function (p) { return [p[0], p[1]]; });
});
"""


def _cache() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return pathlib.Path(base) / "allocbench" / "npm"


def _npm_package(spec: str, into: pathlib.Path) -> pathlib.Path:
    """npm package `spec` (name@version) unpacked into `into`/spec; the tarball is cached."""
    name, version = spec.split("@")
    tarball = _cache() / f"{name}-{version}.tgz"
    if not tarball.exists():
        tarball.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(tarball.parent), spec],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not tarball.exists():
            pytest.skip(f"npm pack {spec} failed: {done.stderr.strip()[-300:]}")
    target = into / spec
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/")]
        for member in members:
            member.name = member.name[len("package/") :]
        members = [m for m in members if m.isfile() or m.isdir()]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, members=members, filter="data")
        else:  # Python before 3.8.17 / 3.11.4
            archive.extractall(target, members=members)
    return target


def _sri(path: pathlib.Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode()}"


def localize(site: pathlib.Path) -> dict:
    """Point the CDN tags of `site`/index.html at npm copies in `site`/_vendor.

    Returns {url: whether its integrity hash is kept (the local file is the CDN's)}.
    """
    index = site / "index.html"
    html = index.read_text(encoding="utf-8")
    kept = {}
    for spec in sorted({spec for spec, _ in CDN.values()}):
        _npm_package(spec, site / "_vendor")

    def swap(match: "re.Match[str]") -> str:
        tag = match.group(0)
        url = re.search(r'(?:src|href)="(https?://[^"]+)"', tag)
        if url is None:
            return tag
        assert url.group(1) in CDN, f"asv's page loads {url.group(1)}, which the test lacks"
        spec, file = CDN[url.group(1)]
        local = site / "_vendor" / spec / file
        assert local.is_file(), f"{spec} has no {file}"
        tag = tag.replace(url.group(1), f"_vendor/{spec}/{file}")
        integrity = re.search(r' integrity="(\w+)-[^"]*"', tag)
        kept[url.group(1)] = bool(integrity) and integrity.group(0).endswith(
            f'"{_sri(local, integrity.group(1))}"'
        )
        if integrity and not kept[url.group(1)]:
            tag = tag.replace(integrity.group(0), "")
        return tag

    html = re.sub(r"<(?:script|link)\b[^>]*>", swap, html)
    index.write_text(html, encoding="utf-8")
    return kept


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def _serving(site: pathlib.Path):
    """`site` with local copies of its CDN files, on http://127.0.0.1:PORT."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the site's jQuery and flot come from npm packages")
    kept = localize(site)
    assert set(kept) == set(CDN)
    # The browser checks these against the page's integrity hashes: the CDN's own bytes.
    assert {url.split("/")[2] for url, checked in kept.items() if checked} == {
        "code.jquery.com",
        "cdn.jsdelivr.net",
        "cdnjs.cloudflare.com",  # blueimp-md5 only
    }
    assert sum(kept.values()) == 5
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def served_site(published_site, tmp_path):
    """The published site as asv wrote it, served."""
    site = tmp_path / "site"
    shutil.copytree(published_site, site)
    with _serving(site) as url:
        yield url, site


@pytest.fixture
def served_front(published_site, quick_run, tmp_path):
    """The published site with the front page written into it, served."""
    (asv_tmp, _, _, _), _ = quick_run
    site = tmp_path / "site"
    shutil.copytree(published_site, site)
    table = [releases.find(releases.load(), v) for v in RELEASES]
    front.publish(site, asv_tmp / "results", table)
    with _serving(site) as url:
        yield url, site


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through chromedriver, recording the console."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.skip(f"{path} is not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
        # Only the test's server resolves: nothing reaches the internet.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_headline_graph_draws_its_points(served_site, browser, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    url, site = served_site
    browser.get(f"{url}/#{GRAPH}")
    try:
        series = WebDriverWait(browser, 60, poll_frequency=0.5).until(
            lambda d: [s for s in d.execute_script(SERIES_JS) or [] if s] or None
        )
    finally:
        browser.save_screenshot(str(tmp_path / "graph.png"))
    assert browser.current_url.endswith(f"#{GRAPH}")  # not sent to error.html
    graph_file = next((site / "graphs" / "branch-main").rglob(f"machine-testbox/**/{GRAPH}.json"))
    stored = json.loads(graph_file.read_text())
    width = len(stored[0][1])
    assert len(series) == width  # one series per parameter value
    for i, points in enumerate(series):
        drawn = sorted(y for _, y in points if y is not None)
        expected = sorted(v[i] for _, v in stored if v[i] is not None)
        assert len(drawn) == len(expected) >= 2  # 0.57.1 and 0.68.1 measured
        assert drawn == pytest.approx(expected)
        assert all(y > 0 for y in drawn)
    canvas = browser.execute_script(
        "var c = jQuery('#main-graph canvas.flot-base')[0]; return c ? [c.width, c.height] : null;"
    )
    assert canvas and min(canvas) > 0
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def _severe(browser):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_front_page_shows_its_pictures_and_links(served_front, browser, tmp_path):
    url, _ = served_front
    browser.get(f"{url}/answer.html")
    browser.save_screenshot(str(tmp_path / "front.png"))
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.src, i.complete, i.naturalWidth]);"
    )
    assert images, "the front page has no pictures"
    assert all(complete and width > 0 for _, complete, width in images), images
    links = browser.execute_script(
        "return Array.from(document.links).map(a => a.getAttribute('href'));"
    )
    assert any(link.startswith("index.html#bench_alloc.Alloc.time_alloc?") for link in links)
    assert _severe(browser) == []


def test_a_deep_link_opens_the_size_axis_with_its_labels(served_front, browser, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = served_front
    browser.get(f"{url}/answer.html")
    link = browser.execute_script(
        "return Array.from(document.links).map(a => a.getAttribute('href'))"
        ".find(h => h.includes('x-axis=size') && h.includes('time_alloc?'));"
    )
    assert link, "no link into the allocation graph by size"
    browser.get(f"{url}/{link}")
    try:
        series = WebDriverWait(browser, 60, poll_frequency=0.5).until(
            lambda d: [s for s in d.execute_script(SERIES_JS) or [] if s] or None
        )
    finally:
        browser.save_screenshot(str(tmp_path / "deep.png"))
    assert any(y is not None for s in series for _, y in s)
    ticks = browser.execute_script(
        "return jQuery('#main-graph').data('plot').getAxes().xaxis.ticks.map(t => t.label);"
    )
    assert [label for label in ticks if label] == ["1 MiB", "32 MiB", "256 MiB"], ticks
    drawn_as = browser.execute_script(
        "return jQuery('#main-graph').data('plot').getData().map(s => [s.lines.show, s.bars.show]);"
    )
    assert drawn_as and all(lines and not bars for lines, bars in drawn_as), drawn_as
    assert _severe(browser) == []
