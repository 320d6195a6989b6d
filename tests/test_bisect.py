"""allocbench bisect on a small fake "numba" git repository made here.

The repository has two release branches and, between them on main, five merged pull
requests: #12 plants a change of the figure (its VALUE goes from 1.0 to 2.0) and #13 plants a
file that the fake builder refuses. The builder copies the tree's numba package (with the
version written as allocbench writes it) into its build folder; the figure is measured by the
real runner in fresh processes of this interpreter. The bisection must name #12, skip #13 with
the reason, and the report must name the pull request with its link.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from allocbench.cli import main
from allocbench.history import bisect_run, bisect_verdict, commit_build, llvmlite_pin, sidebyside
from allocbench.history import confirmations as store
from allocbench.history.bisection import BisectError, Search, next_probe
from allocbench.history.environments import Environment
from allocbench.history.numba_git import GitError, Repository
from allocbench.history.patched_numba import unpack
from allocbench.history.releases import load as load_table
from allocbench.report import confirm, verdicts
from allocbench.report.render_html import inline as html_inline
from allocbench.report.render_markdown import lines
from allocbench.report.runs import Run
from allocbench.report.sections.steps import release_steps

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
NAME = "bench_fake.Fake.track_value"
BENCH = """
import random
import numba


class Fake:
    def track_value(self):
        return numba.VALUE * (1 + random.uniform(-0.01, 0.01))
"""
INIT = """from numba._version import get_versions

__version__ = get_versions()["version"]
VALUE = {value}
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}  # fmt: skip


def _git(repo, *args):
    env = dict(os.environ, **GIT_ENV)
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _write(repo, value=None, broken=None):
    if value is not None:
        (repo / "numba" / "__init__.py").write_text(INIT.format(value=value))
    if broken is True:
        (repo / "BROKEN").write_text("does not build\n")
    elif broken is False:
        (repo / "BROKEN").unlink()
    _git(repo, "add", "-A")


def _merge(repo, number, title, **change):
    _git(repo, "checkout", "-q", "-b", f"pr{number}")
    _write(repo, **change)
    _git(repo, "commit", "-q", "--allow-empty", "-m", title)
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", f"pr{number}", "-m",
         f"Merge pull request #{number} from someone/pr{number}", "-m", title)  # fmt: skip
    return _git(repo, "rev-parse", "HEAD")


def _release(repo, version):
    _git(repo, "checkout", "-q", "-b", f"release{version}")
    _git(repo, "commit", "-q", "--allow-empty", "-m", f"release {version}")
    _git(repo, "tag", version)
    _git(repo, "checkout", "-q", "main")


@pytest.fixture(scope="module")
def fake_repo(tmp_path_factory):
    """The fake numba: 0.1.0 and 0.2.0 on release branches, five pull requests between."""
    repo = tmp_path_factory.mktemp("numba")
    _git(repo, "init", "-q", "-b", "main")
    (repo / "numba").mkdir()
    (repo / "numba" / "_version.py").write_text("def get_versions():\n    return {}\n")
    (repo / "setup.py").write_text('min_llvmlite_version = "0.37.0.dev0"\n'
                                   'max_llvmlite_version = "0.38"\n')  # fmt: skip
    _write(repo, value=1.0)
    _git(repo, "commit", "-q", "-m", "the start")
    _git(repo, "tag", "0.2.0dev0")
    _release(repo, "0.1.0")
    merges = {n: _merge(repo, n, t, **c) for n, t, c in (
        (11, "Tidy the docs", {}),
        (12, "Make the figure twice as large", {"value": 2.0}),
        (13, "Something that does not build", {"broken": True}),
        (14, "Fix the build", {"broken": False}),
        (15, "More docs", {}),
    )}  # fmt: skip
    _release(repo, "0.2.0")
    _git(repo, "tag", "0.1.1", "0.1.0")  # a "newer" release at the same commit: no commits
    return Repository(repo), merges


class FakeBuilder:
    """Copies the commit's numba package into its build folder; refuses a tree with BROKEN."""

    def __init__(self, repo, places, key="py-fake"):
        self.repo, self.places, self.key = repo, places, key
        self.made = []

    def __call__(self, commit):
        folder = self.places.build_folder(self.key, commit)
        found = commit_build.read_complete(commit, folder)
        if found is not None:
            return found
        with tempfile.TemporaryDirectory() as tmp:
            tarball = self.repo.archive(commit, pathlib.Path(tmp) / "t.tar.gz", "numba-x")
            source = unpack(tarball, pathlib.Path(tmp) / "src")
            if (source / "BROKEN").exists():
                raise commit_build.Unbuildable("planted: BROKEN is in the tree")
            version = self.repo.describe(commit)
            commit_build.write_version(source, version, commit)
            shutil.copytree(source / "numba", folder / "numba")
        (folder / commit_build.COMPLETE).write_text(json.dumps(
            {"version": version, "llvmlite": "none", "seconds": 0.1}))  # fmt: skip
        self.made.append(commit)
        return commit_build.Build(commit, folder, version, "none", 0.1, False)


def _root(tmp_path):
    root = tmp_path / "root"
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks" / "__init__.py").write_text("")
    (root / "benchmarks" / "bench_fake.py").write_text(BENCH)
    os.symlink(SRC, root / "src")
    return root


@pytest.fixture(scope="module")
def bisected(fake_repo, tmp_path_factory):
    """One bisection of the fake repository through the command, as JSON."""
    repo, merges = fake_repo
    root = _root(tmp_path_factory.mktemp("bisect"))
    saved = commit_build.SourceBuilder
    commit_build.SourceBuilder = lambda repo, interp, places, table, say: FakeBuilder(repo, places)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        out = subprocess_free_main(["bisect", NAME, "--from", "0.1.0", "--to", "0.2.0",
                                    "--python", sys.executable, "--repo", str(repo.path),
                                    "--rounds", "4", "--machine", "vm", "--json"])  # fmt: skip
    finally:
        os.chdir(cwd)
        commit_build.SourceBuilder = saved
    return root, merges, out


def subprocess_free_main(argv):
    """main(argv) in this process, its JSON output."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return json.loads(buffer.getvalue())


def test_finds_the_planted_pull_request_and_skips_the_unbuildable(bisected):
    root, merges, entry = bisected
    assert entry["found"] and entry["commits"] == 6
    first = entry["first_new"]
    assert first["commit"] == merges[12]
    assert first["pull_request"] == {"number": 12, "title": "Make the figure twice as large",
                                     "url": "https://github.com/numba/numba/pull/12"}  # fmt: skip
    assert entry["last_old"]["commit"] == merges[11]
    assert 0.98 < entry["figure_old"] < 1.02 and 1.96 < entry["figure_new"] < 2.04
    verdicts_ = {p["commit"]: (p["verdict"], p["reason"]) for p in entry["probes"]}
    assert verdicts_[merges[13]] == ("skipped", "cannot be built: planted: BROKEN is in the tree")
    assert verdicts_[merges[12]][0] == "new" and verdicts_[merges[11]][0] == "old"
    assert len(entry["probes"]) == 3 and entry["builds"] == 4  # 2 ends, 2 probes built
    assert entry["ends"]["new"]["version"].startswith("0.2.0+0.g")
    assert entry["ends"]["old"]["version"].startswith("0.2.0dev0+0.g")
    kept = store.read_bisections(store.Places(root / ".asv" / "results"))
    key = store.bisection_key("vm", entry["env"], "0.1.0", "0.2.0", NAME)
    assert kept[key]["first_new"]["commit"] == merges[12]


def test_words_name_the_pull_request_and_its_link(bisected):
    said = "\n".join(bisect_run.lines(bisected[2]))
    assert "pull request #12 'Make the figure twice as large'" in said
    assert "https://github.com/numba/numba/pull/12" in said
    assert "3 probes, 4 builds" in said


def test_a_second_run_builds_nothing(bisected, fake_repo, tmp_path):
    root, merges, _ = bisected
    repo, _ = fake_repo
    places = store.Places(root / ".asv" / "results")
    builder = FakeBuilder(repo, places)
    where = sidebyside.Setting(root, Environment("3.8", "1.18.5"), pathlib.Path(sys.executable),
                               {}, places)  # fmt: skip
    base, line = bisect_run.line_between(repo, "0.1.0", "0.2.0")
    out = Search(base, line, builder, bisect_run.measurer(where, NAME), 0.05, rounds=4,
                 say=lambda _: None).run()  # fmt: skip
    assert out.found and out.first_new == merges[12]
    assert builder.made == [] and out.builds == 0 and out.cached == 4


@pytest.mark.parametrize("argv, said", [
    (["--from", "0.0.9", "--to", "0.2.0"], "no release tag 0.0.9"),
    (["--from", "0.1.0", "--to", "0.1.1"], "no commits between numba 0.1.0 and 0.1.1"),
    (["--from", "0.2.0", "--to", "0.1.0"], "numba 0.2.0 is not older than 0.1.0"),
    (["--from", "../../etc", "--to", "0.2.0"], "not a release"),
    (["--from", "0.1.0", "--to", "0.2.0", "--machine", "../x"], "not a name"),
])  # fmt: skip
def test_bad_input_is_one_line(fake_repo, tmp_path, capsys, monkeypatch, argv, said):
    monkeypatch.chdir(tmp_path)
    repo, _ = fake_repo
    code = main(["bisect", NAME, *argv, "--python", sys.executable, "--repo", str(repo.path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and said in err, err


def test_a_figure_that_is_no_name_is_one_line(fake_repo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    repo, _ = fake_repo
    for figure in ("../../x", "bench.X.time_y", "box@0"):
        assert main(["bisect", figure, "--from", "0.1.0", "--to", "0.2.0", "--python",
                     sys.executable, "--repo", str(repo.path)]) == 1  # fmt: skip
        assert "not a figure" in capsys.readouterr().err
    got = bisect_run.figure_name("box@8")
    assert got == "bench_anatomy.Anatomy.track_seconds('box', '8 B')"


def test_commits_and_folders_are_checked(tmp_path):
    places = store.Places(tmp_path / "results")
    with pytest.raises(store.StoreError):
        places.build_folder("py3.8", "../../etc")
    with pytest.raises(store.StoreError):
        places.build_folder("../x", "a" * 40)
    with pytest.raises(GitError, match="no such folder"):
        Repository(tmp_path / "missing")


def test_the_step_must_be_there(fake_repo, bisected, tmp_path):
    repo, merges = fake_repo
    root = bisected[0]
    places = store.Places(root / ".asv" / "results")
    where = sidebyside.Setting(root, Environment("3.8", "1.18.5"), pathlib.Path(sys.executable),
                               {}, places)  # fmt: skip
    base = repo.tag("0.1.0")
    line = [merges[11]]  # both ends give 1.0
    with pytest.raises(BisectError, match="no step between the ends"):
        Search(base, line, FakeBuilder(repo, places), bisect_run.measurer(where, NAME), 0.05,
               rounds=4, say=lambda _: None).run()  # fmt: skip


def test_next_probe_takes_the_middle_of_what_is_left():
    assert next_probe(-1, 5, []) == 2
    assert next_probe(-1, 5, [2]) == 1
    assert next_probe(0, 1, []) is None
    assert next_probe(-1, 2, [0, 1]) is None


def test_classify_places_the_probe_on_the_step():
    old, new = [1.0, 1.01, 0.99, 1.02, 1.0], [2.0, 2.02, 1.98, 2.01, 2.0]
    assert bisect_verdict.classify(old, [1.0, 1.01, 1.0, 0.99, 1.02], new, 0.1).verdict == "old"
    assert bisect_verdict.classify(old, [2.0, 2.01, 1.99, 2.0, 2.03], new, 0.1).verdict == "new"
    halfway = bisect_verdict.classify(old, [1.4, 1.42, 1.41, 1.39, 1.4], new, 0.1)
    assert halfway.verdict == "unclear" and "matches neither end clearly" in halfway.reason
    flat = bisect_verdict.classify(old, old, [1.0, 1.02, 0.99, 1.0, 1.01], 0.1)
    assert flat.verdict == "unclear" and "the ends did not differ" in flat.reason
    # A step down is placed the same way.
    assert bisect_verdict.classify(new, [1.0, 1.01, 1.0, 0.99, 1.0], old, 0.1).verdict == "new"


def test_llvmlite_from_setup_py():
    table = load_table()
    span = llvmlite_pin.llvmlite_range('min_llvmlite_version = "0.37.0.dev0"\n'
                                       'max_llvmlite_version = "0.38"\n')  # fmt: skip
    assert llvmlite_pin.choose(span, table, "3.8") == "0.37.0"
    old = llvmlite_pin.llvmlite_range("install_requires=['llvmlite>=0.31.0dev0', 'numpy']")
    assert old[1] is None and llvmlite_pin.choose(old, table, "3.8") == "0.41.1"
    with pytest.raises(llvmlite_pin.NoLlvmlite):
        llvmlite_pin.choose(span, table, "3.12")
    with pytest.raises(llvmlite_pin.NoLlvmlite):
        llvmlite_pin.llvmlite_range("setup()")


def test_version_file_is_read_as_an_sdists(tmp_path):
    (tmp_path / "numba").mkdir()
    commit_build.write_version(tmp_path, "0.54.0dev0+3.gabc", "a" * 40)
    text = (tmp_path / "numba" / "_version.py").read_text()
    scope = {}
    exec(text, scope)
    assert scope["get_versions"]()["version"] == "0.54.0dev0+3.gabc"
    # versioneer's versions_from_file, as numba's setup.py runs it, reads the same.
    found = re.search(r"version_json = '''\n(.*)'''  # END VERSION_JSON", text, re.M | re.S)
    assert json.loads(found.group(1))["full-revisionid"] == "a" * 40
    # versioneer 0.14's (numba 0.54's) reads its lines.
    assert re.search(r"^version_version = '0.54.0dev0\+3.gabc'$", text, re.M)


def _runs():
    table = {r.numba: r for r in load_table()}
    runs = []
    for release, value in ((table["0.57.1"], 1.0), (table["0.68.1"], 2.0)):
        run = Run("vm", "env", release.numba, release)
        run.values[("bench_ratio.OverControl.track_over_control", ("numba.zeros", 2**28))] = value
        runs.append(run)
    return runs


ZEROS = "bench_ratio.OverControl.track_over_control('numba.zeros', '256 MiB')"


def test_the_report_names_the_pull_request_with_its_link(tmp_path, bisected):
    places = store.Places(tmp_path / "results")
    ok = dict(confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [2.0, 2.01, 1.99, 2.0, 2.02], 0.2),
              recorded=[1.0, 2.0])  # fmt: skip
    entry = {"machine": "vm", "env": "env", "before": "0.57.1", "after": "0.68.1", "rounds": 5,
             "figures": {ZEROS: ok}, "anatomy": {}}  # fmt: skip
    store.write_confirmation(places, store.pair_key("vm", "env", "0.57.1", "0.68.1"), entry)
    blocks = release_steps(_runs(), verdicts.load(places.results))
    assert "pull request: not bisected" in "\n".join(lines(blocks))
    found = dict(bisected[2], env="env", before="0.57.1", after="0.68.1", figure=ZEROS)
    key = store.bisection_key("vm", "env", "0.57.1", "0.68.1", ZEROS)
    store.write_bisection(places, key, found)
    blocks = release_steps(_runs(), verdicts.load(places.results))
    said = "\n".join(lines(blocks))
    assert "[\\#12](<https://github.com/numba/numba/pull/12>)" in said or \
        "[#12](<https://github.com/numba/numba/pull/12>)" in said, said  # fmt: skip
    assert "Make the figure twice as large" in said and "3 probes of 6 commits" in said
    page = html_inline(blocks[0].claim)
    assert '<a href="https://github.com/numba/numba/pull/12">#12</a>' in page


def test_a_confirmed_step_gives_the_releases(fake_repo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    repo, _ = fake_repo
    places = store.Places(tmp_path / ".asv" / "results")
    places.base.mkdir()
    ok = dict(confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [2.0, 2.01, 1.99, 2.0, 2.02], 0.2),
              recorded=[1.0, 2.0])  # fmt: skip
    key = store.pair_key("vm", "env", "0.57.1", "0.68.1")
    store.write_confirmation(places, key, {"machine": "vm", "env": "env", "before": "0.57.1",
                                           "after": "0.68.1", "figures": {ZEROS: ok}})  # fmt: skip
    assert main(["bisect", "--step", key, "--repo", str(repo.path)]) == 1
    assert "no release tag 0.57.1" in capsys.readouterr().err
    assert main(["bisect", "--step", "vm|env|0.1.0|0.2.0", "--repo", str(repo.path)]) == 1
    assert "no step 'vm|env|0.1.0|0.2.0'" in capsys.readouterr().err
    assert main(["bisect", "box@8", "--step", key, "--repo", str(repo.path)]) == 1
    assert "no confirmed figure" in capsys.readouterr().err


def test_a_part_is_measured_without_the_benchmark_folder(monkeypatch, capsys):
    import types

    from allocbench.harness import figure as runner

    fake = types.ModuleType("allocbench.harness.anatomy")
    fake.measure_part = lambda part, nbytes: types.SimpleNamespace(seconds=nbytes * 1e-9)
    monkeypatch.setitem(sys.modules, "allocbench.harness.anatomy", fake)
    monkeypatch.setattr("allocbench.harness.anatomy", fake, raising=False)
    assert runner.main(["--benchmarks", "/nonexistent", "--part", "box@8"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.split(runner.FIGURES_MARK, 1)[1])["parts"] == {"box@8": {"value": 8e-9}}
    name = bisect_run.figure_name("box@65536")
    assert name == "bench_anatomy.Anatomy.track_seconds('box', '64 KiB')"
    assert bisect_run.anatomy_part(name) == "box@65536"
    assert bisect_run.anatomy_part(NAME) is None


def test_an_asv_environment_run_by_another_interpreter_must_match_it(
    fake_repo, tmp_path, capsys, monkeypatch
):
    shutil.copy(SRC.parent / "asv.conf.json", tmp_path / "asv.conf.json")
    monkeypatch.chdir(tmp_path)
    repo, _ = fake_repo
    common = [NAME, "--from", "0.1.0", "--to", "0.2.0", "--python", sys.executable, "--repo",
              str(repo.path)]  # fmt: skip
    assert main(["bisect", *common, "--env", "virtualenv-py3.8-numpy1.18.5"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not virtualenv-py3.8-numpy1.18.5's 3.8 with 1.18.5" in err
    assert main(["bisect", *common, "--env", "no-such-env"]) == 1
    assert "no environment 'no-such-env' in asv.conf.json" in capsys.readouterr().err


def test_the_weekly_run_bisects_each_confirmed_step_of_its_environment_once(
    fake_repo, tmp_path, capsys, monkeypatch
):
    import numpy

    repo, _ = fake_repo
    root = _root(tmp_path)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    env = f"virtualenv-py{version}-numpy{numpy.__version__}"
    (root / "asv.conf.json").write_text(json.dumps({
        "version": 1, "repo": ".asv/ledger", "environment_type": "virtualenv", "pythons": [],
        "include": [{"python": version, "req": {"numpy": numpy.__version__}}]}))  # fmt: skip
    monkeypatch.chdir(root)
    fake = lambda repo, interp, places, table, say: FakeBuilder(repo, places)  # noqa: E731
    monkeypatch.setattr(commit_build, "SourceBuilder", fake)
    places = store.Places(root / ".asv" / "results")
    places.base.mkdir(parents=True)
    ok = dict(confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [2.0, 2.01, 1.99, 2.0, 2.02], 0.2),
              recorded=[1.0, 2.0])  # fmt: skip
    for who in (env, "another-env"):
        store.write_confirmation(places, store.pair_key("vm", who, "0.1.0", "0.2.0"), {
            "machine": "vm", "env": who, "before": "0.1.0", "after": "0.2.0",
            "figures": {NAME: ok}})  # fmt: skip
    argv = ["bisect", "--confirmed", "--env", env, "--python", sys.executable,
            "--repo", str(repo.path), "--rounds", "4"]  # fmt: skip
    assert main(argv) == 0
    (key,) = store.read_bisections(places)
    assert key == store.bisection_key("vm", env, "0.1.0", "0.2.0", NAME)
    assert "#12" in capsys.readouterr().out
    assert main(argv) == 0
    assert f"no confirmed step of {env} is left to bisect" in capsys.readouterr().out
    assert main([*argv, "--step", "vm|x|0.1.0|0.2.0"]) == 1
    assert "--confirmed takes --env" in capsys.readouterr().err
