"""`allocbench report` and `allocbench site` on a full or read-only disk: one line naming the file,
exit status 1, no traceback, no temporary or truncated file, the files written before whole."""

import errno
import json
import os
import pathlib
import subprocess
import sys

import pytest
from test_report import _alloc, _cliff, _write

from allocbench.catalog import Bench, MiB
from allocbench.cli import main
from allocbench.history import commit_ids as commits
from allocbench.history import releases
from allocbench.report import site

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = "virtualenv-py3.11-numpy1.24.4"
#: Runs `allocbench ARGS` with files limited to LIMIT bytes and SIGXFSZ ignored, so that a write
#: past the limit fails with EFBIG as a write to a full disk fails with ENOSPC. What is imported
#: first (matplotlib's font cache) is done before the limit.
FULL_DISK = """
import resource, signal, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
import allocbench.report.site
from allocbench.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""
#: Smaller than any plot, larger than a commit page, asv's index.json or a git object.
LIMIT = 8192


@pytest.fixture(scope="module")
def hashes():
    return {r.numba: h for h, r in commits.release_by_commit(releases.load()).items()}


def _results(root, hashes, slow):
    """Results of two releases; `slow` changes the plots and the words."""
    for version in ("0.57.1", "0.68.1"):
        entries = {Bench.ALLOC: _alloc(slow), **_cliff(32 * MiB + 8192)}
        _write(root, "box", hashes[version], ENV, entries)
    return root


def _files(folder):
    """Every file under `folder` (hidden ones too), with its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _full_disk(*args):
    return subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(LIMIT), *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _one_line(stderr, command, path, why):
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [f"allocbench {command}: cannot write {path}: {why}"]


def test_report_on_a_full_disk_leaves_the_report_before_it_whole(tmp_path, hashes):
    out = tmp_path / "out"
    before = _results(tmp_path / "before", hashes, 0.2)
    assert main(["report", "--results", str(before), "--out", str(out)]) == 0
    written = _files(out)
    assert {p.name for p in written} == {"README.md", "seed_figure.png", "ratio_by_release.png"}

    after = _results(tmp_path / "after", hashes, 0.02)
    done = _full_disk("report", "--results", after, "--out", out)
    assert done.returncode == 1
    _one_line(done.stderr, "report", out / "seed_figure.png",
              "File too large; the file size limit was hit")  # fmt: skip
    assert _files(out) == written  # no temporary file, every file as it was

    fresh = tmp_path / "fresh"
    done = _full_disk("report", "--results", after, "--out", fresh)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert list(fresh.iterdir()) == []  # no truncated plot


def _fail(monkeypatch, name, code):
    """Make os.`name` fail with `code`, as on a read-only or full disk."""

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, name, fail)


@pytest.mark.parametrize(
    ("call", "code", "why"),
    [("replace", errno.EROFS, "Read-only file system"),
     ("fsync", errno.ENOSPC, "No space left on device; the disk is full")],
)  # fmt: skip
def test_report_on_a_read_only_or_full_disk_is_one_line(
    tmp_path, hashes, monkeypatch, capsys, call, code, why
):
    out = tmp_path / "out"
    results = _results(tmp_path / "results", hashes, 0.2)
    assert main(["report", "--results", str(results), "--out", str(out)]) == 0
    written = _files(out)
    capsys.readouterr()
    _fail(monkeypatch, call, code)
    assert main(["report", "--results", str(results), "--out", str(out)]) == 1
    _one_line(capsys.readouterr().err, "report", out / "seed_figure.png", why)
    assert _files(out) == written


def test_a_report_folder_that_cannot_be_made_is_one_line(tmp_path, hashes, monkeypatch, capsys):
    results = _results(tmp_path / "results", hashes, 0.2)
    out = tmp_path / "out"
    mkdir = pathlib.Path.mkdir

    def fail(self, *args, **kwargs):
        if self != out:
            return mkdir(self, *args, **kwargs)
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(pathlib.Path, "mkdir", fail)
    assert main(["report", "--results", str(results), "--out", str(out)]) == 1
    _one_line(capsys.readouterr().err, "report", out, "Read-only file system")


#: What the site needs of asv's: the index, a graph, the navigation bar and the graph page.
_GRAPH_PAGE = """options.series = {
    bars: { show: true, barWidth: 0.5 }
};
legend: { show: show_legend, position: "nw" },
"""


def _asv_site(html):
    (html / "graphs" / "x").mkdir(parents=True)
    (html / "graphs" / "x" / f"{Bench.ALLOC}.json").write_text("[]")
    index = {"benchmarks": {Bench.ALLOC: {}, "bench_alloc.Layout.time_alloc": {}}}
    (html / "index.json").write_text(json.dumps(index))
    (html / "index.html").write_text('<ul><li id="nav-li-" class="dropdown">grid</li></ul>')
    (html / "graphdisplay.js").write_text(_GRAPH_PAGE)
    return html


def _site_before(tmp_path, hashes):
    """An asv site with the front page written into it, and the files it then holds."""
    html = _asv_site(tmp_path / "html")
    results = _results(tmp_path / "before", hashes, 0.2)
    assert main(["site", "--results", str(results), "--html", str(html)]) == 0
    written = _files(html)
    assert pathlib.Path("answer/ratio_by_release.png") in written
    assert "bench_alloc.Layout.time_alloc" not in json.loads(written[pathlib.Path("index.json")])
    assert b'href="answer.html"' in written[pathlib.Path("index.html")]
    assert site._LEGEND_SMALL.encode() in written[pathlib.Path("graphdisplay.js")]
    return html, written


def test_site_on_a_full_disk_leaves_the_site_before_it_whole(tmp_path, hashes):
    html, written = _site_before(tmp_path, hashes)
    after = _results(tmp_path / "after", hashes, 0.02)
    done = _full_disk("site", "--results", after, "--html", html)
    assert done.returncode == 1
    _one_line(done.stderr, "site", html / "answer" / "ratio_by_release.png",
              "File too large; the file size limit was hit")  # fmt: skip
    assert _files(html) == written


@pytest.mark.parametrize(
    ("call", "code", "why"),
    [("replace", errno.EROFS, "Read-only file system"),
     ("fsync", errno.ENOSPC, "No space left on device; the disk is full")],
)  # fmt: skip
def test_site_on_a_read_only_or_full_disk_is_one_line(
    tmp_path, hashes, monkeypatch, capsys, call, code, why
):
    html, written = _site_before(tmp_path, hashes)
    capsys.readouterr()
    _fail(monkeypatch, call, code)
    results = _results(tmp_path / "after", hashes, 0.02)
    assert main(["site", "--results", str(results), "--html", str(html)]) == 1
    _one_line(capsys.readouterr().err, "site", html / "index.json", why)
    assert _files(html) == written


def test_every_edit_of_asv_s_files_is_one_line_where_it_fails(tmp_path, monkeypatch):
    html = _asv_site(tmp_path / "html")
    _fail(monkeypatch, "replace", errno.EROFS)
    by_commit = commits.release_by_commit(releases.load())
    for edit, path in ((site.prune_unmeasured, html / "index.json"),
                       (site.link_front_page, html / "index.html"),
                       (site.adjust_graph_page, html / "graphdisplay.js"),
                       (lambda h: site.commit_pages(h, by_commit),
                        html / "commits" / next(iter(by_commit)) / "index.html")):  # fmt: skip
        with pytest.raises(site.files.FileError, match=f"^cannot write {path}: Read-only"):
            edit(html)
    assert not [p for p in html.rglob("*") if p.name.endswith(".tmp")]


def test_the_report_needs_no_scratch_ledger(tmp_path, hashes, monkeypatch):
    """Commits are named by ids computed from the release table: no temporary folder is made."""
    import tempfile

    results = _results(tmp_path / "results", hashes, 0.2)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/tmp/tmpfull")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    assert main(["report", "--results", str(results), "--out", str(tmp_path / "out")]) == 0
    assert "numba 0.57.1" in (tmp_path / "out" / "README.md").read_text()
