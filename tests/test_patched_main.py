"""``allocbench build-numba main``: numba's main branch from a local git copy, patched.

The refusals run on small git repositories made here. The slow test makes a repository whose
main branch holds numba 0.68.1's sdist (one commit past a ``0.68.0dev0`` tag, as numba's main
is), builds it with the patch and checks the wheel: the version names the commit, and the
compiled runtime has the zeroed allocation.
"""

import pathlib
import subprocess
import sys
import tarfile
import zipfile

import pytest
from packaging.version import Version

from allocbench.cli import main
from allocbench.history import patched_main, patched_numba
from allocbench.history.numba_git import GitError, Repository
from allocbench.history.releases import load

SDIST_VERSION = "0.68.1"


def _git(repo, *args):
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _repo(path, files, branch="main", tag=None):
    """A git repository at `path` whose `branch` holds `files` (name: text), one commit past
    `tag` where one is given."""
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", branch)
    _git(path, "config", "user.email", "t@example.org")
    _git(path, "config", "user.name", "t")
    if tag:
        _git(path, "commit", "-q", "--allow-empty", "-m", "start")
        _git(path, "tag", tag)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "tree")
    return path


SETUP_PY = 'min_llvmlite_version = "{low}"\nmax_llvmlite_version = "{high}"\n'


def _one_line(capsys, argv):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("allocbench build-numba: ") and err.count("\n") == 1, err
    return err


def test_main_without_a_repository_names_the_option(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ALLOCBENCH_NUMBA_GIT", raising=False)
    err = _one_line(capsys, ["build-numba", "main", "--out", str(tmp_path / "w")])
    assert "--repo GITDIR or $ALLOCBENCH_NUMBA_GIT" in err
    assert list(tmp_path.iterdir()) == []


def test_a_repository_without_main_is_one_line(tmp_path, capsys):
    repo = _repo(tmp_path / "r", {"a": "x"}, branch="master")
    err = _one_line(capsys, ["build-numba", "main", "--repo", str(repo), "--out",
                             str(tmp_path / "w")])  # fmt: skip
    assert "no main branch" in err
    assert not (tmp_path / "w").exists()


def test_main_is_found_as_a_local_branch_or_origins(tmp_path):
    local = _repo(tmp_path / "local", {"a": "x"})
    assert Repository(local).main() == _git(local, "rev-parse", "main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(local), str(clone)], check=True)
    _git(clone, "checkout", "-q", "-b", "work")
    _git(clone, "branch", "-q", "-D", "main")
    assert Repository(clone).main() == _git(local, "rev-parse", "main")
    _git(clone, "remote", "remove", "origin")
    with pytest.raises(GitError, match="no main branch"):
        Repository(clone).main()


def test_a_main_the_diff_does_not_fit_changes_nothing(tmp_path, capsys):
    repo = _repo(tmp_path / "r", {"setup.py": SETUP_PY.format(low="0.50.0dev0", high="0.51"),
                                  "numba/__init__.py": ""}, tag="0.68.0dev0")  # fmt: skip
    tip = _git(repo, "rev-parse", "main")
    err = _one_line(capsys, ["build-numba", "main", "--repo", str(repo), "--out",
                             str(tmp_path / "w")])  # fmt: skip
    assert f"does not apply cleanly to numba main ({tip[:12]})" in err
    assert list((tmp_path / "w").iterdir()) == []
    assert _git(repo, "status", "--porcelain") == "" and _git(repo, "rev-parse", "main") == tip


def test_a_main_whose_llvmlite_no_release_has_is_said(tmp_path, capsys):
    repo = _repo(tmp_path / "r", {"setup.py": SETUP_PY.format(low="9.0.0dev0", high="9.1")})
    err = _one_line(capsys, ["build-numba", "main", "--repo", str(repo), "--out",
                             str(tmp_path / "w")])  # fmt: skip
    python = "{}.{}".format(*sys.version_info[:2])
    assert f"no llvmlite of the release table for Python {python} at or above 9.0.0.dev0" in err


def _sdist_repo(tmp_path):
    """A repository whose main holds numba's SDIST_VERSION sdist, past a 0.68.0dev0 tag."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "numba",
         "--disable-pip-version-check", "-q", "-d", str(tmp_path), f"numba=={SDIST_VERSION}"],
        capture_output=True, text=True,
    )  # fmt: skip
    found = sorted(tmp_path.glob(f"numba-{SDIST_VERSION}.tar.gz"))
    if done.returncode != 0 or not found:
        pytest.skip(f"no numba sdist: {done.stderr.strip()[-200:]}")
    with tarfile.open(found[0]) as archive:
        archive.extractall(tmp_path, filter="data")
    repo = tmp_path / f"numba-{SDIST_VERSION}"
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    _git(repo, "tag", "0.68.0dev0")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the sdist's tree")
    return repo


@pytest.mark.slow
def test_main_builds_patched_and_names_its_commit(tmp_path):
    try:
        patched_numba.check_build_requirements(sys.executable)
    except patched_numba.CannotBuild as exc:
        pytest.skip(str(exc))
    repo = _sdist_repo(tmp_path)
    tip = _git(repo, "rev-parse", "main")
    table = load()
    built = patched_main.build_main(Repository(repo), tmp_path / "wheels", table)
    assert built.commit == tip
    assert built.version == f"0.68.0dev0+1.g{tip[:12]}.{patched_numba.LOCAL_LABEL}"
    assert built.wheel.parent == tmp_path / "wheels" and built.wheel.is_file()
    assert built.wheel.name.startswith(f"numba-{Version(built.version)}-")  # as pip writes it
    release = next(r for r in table if r.numba == SDIST_VERSION)
    assert built.llvmlite == release.llvmlite
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
        assert tip in wheel.read("numba/_version.py").decode()
        runtime = [
            n
            for n in names
            if pathlib.PurePath(n).name.startswith("_nrt_python.") and n.endswith(".so")
        ]
        assert len(runtime) == 1
        assert b"MemInfo_alloc_aligned_zeroed" in wheel.read(runtime[0])
