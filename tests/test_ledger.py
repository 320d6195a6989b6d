"""The release ledger: built from a small table in a temporary directory."""

import os
import pathlib
import stat
import subprocess

import pytest

from allocbench.cli import main
from allocbench.history import ledger, releases
from allocbench.history.releases import Release

SMALL = [
    ("0.48.0", "2020-01-29T16:13:41Z", "0.31.0", ["3.8"], ">=1.15,<1.24"),
    ("0.57.1", "2023-06-21T17:41:55Z", "0.40.1", ["3.8", "3.11"], ">=1.21,<1.25"),
    ("0.68.1", "2026-10-27T18:12:10Z", "0.50.0", ["3.11", "3.12"], ">=1.22,<2.6"),
]


def small_table(rows=SMALL):
    return [Release(v, releases.parse_date(d), llvm, py, np_) for v, d, llvm, py, np_ in rows]


def _git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_one_commit_per_release_in_order_with_dates_and_tags(tmp_path):
    table = small_table()
    hashes = ledger.build(table, tmp_path / "ledger")
    rows = ledger.commits(tmp_path / "ledger")
    assert [r["commit"] for r in rows] == hashes
    assert [r["version"] for r in rows] == ["0.48.0", "0.57.1", "0.68.1"]
    assert [r["tags"] for r in rows] == [["0.48.0"], ["0.57.1"], ["0.68.1"]]
    assert [r["authored"] for r in rows] == [
        "2020-01-29T16:13:41+00:00",
        "2023-06-21T17:41:55+00:00",
        "2026-10-27T18:12:10+00:00",
    ]
    assert all(r["committed"] == r["authored"] for r in rows)
    repo = tmp_path / "ledger"
    assert _git(repo, "rev-parse", "0.57.1^{commit}") == hashes[1]
    assert _git(repo, "rev-parse", "0.57.1^") == hashes[0]
    assert _git(repo, "show", f"{hashes[1]}:{ledger.VERSION_FILE}") == "0.57.1"
    assert _git(repo, "config", "--local", ledger.MARK) == "true"
    assert [p.name for p in repo.iterdir()] == [".git"]  # no work tree is ever written


def test_asv_checks_out_the_ledgers_commits_in_a_clone_of_its_own(tmp_path):
    """What asv does with a local repository (asv.plugins.git.Git.checkout): a shared clone,
    then a forced checkout of the commit; the ledger's own work tree plays no part."""
    hashes = ledger.build(small_table(), tmp_path / "ledger")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--shared", "--recursive",
                    str(tmp_path / "ledger"), str(clone)], check=True)  # fmt: skip
    for version, sha in zip(["0.48.0", "0.57.1", "0.68.1"], hashes):
        _git(clone, "checkout", "--quiet", "-f", sha)
        assert (clone / ledger.VERSION_FILE).read_text() == version + "\n"


def test_same_table_same_hashes_anywhere(tmp_path):
    assert ledger.build(small_table(), tmp_path / "a") == ledger.build(
        small_table(), tmp_path / "b"
    )
    assert ledger.build(small_table(), tmp_path / "a") == ledger.build(
        small_table(), tmp_path / "b"
    )


def test_new_release_appends_and_keeps_old_hashes(tmp_path):
    old = ledger.build(small_table(SMALL[:2]), tmp_path / "ledger")
    new = ledger.build(small_table(), tmp_path / "ledger")
    assert new[:2] == old and len(new) == 3
    assert _git(tmp_path / "ledger", "rev-list", "--count", "main") == "3"


def test_changed_past_is_refused_and_nothing_moves(tmp_path):
    repo = tmp_path / "ledger"
    hashes = ledger.build(small_table(), repo)
    changed = list(SMALL)
    changed[1] = ("0.57.0", *SMALL[1][1:])
    with pytest.raises(ledger.LedgerError, match="Delete"):
        ledger.build(small_table(changed), repo)
    assert _git(repo, "rev-parse", "main") == hashes[-1]
    assert _git(repo, "tag", "--list") == "0.48.0\n0.57.1\n0.68.1"


def test_shorter_table_is_refused(tmp_path):
    repo = tmp_path / "ledger"
    ledger.build(small_table(), repo)
    with pytest.raises(ledger.LedgerError):
        ledger.build(small_table(SMALL[:1]), repo)


def test_refuses_a_folder_that_is_not_a_ledger(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ledger.LedgerError, match="not a git repository"):
        ledger.build(small_table(), tmp_path / "mine")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_package_table_builds(tmp_path):
    table = releases.load()
    hashes = ledger.build(table, tmp_path / "ledger")
    assert len(hashes) == len(table) == len(set(hashes))


def _candidate(version, when="2026-11-20T10:00:00Z"):
    return Release(version, releases.parse_date(when), "0.51.0rc1", ["3.11"], ">=1.22,<2.6")


def test_candidates_live_on_their_own_branch_without_tags(tmp_path):
    repo, table = tmp_path / "ledger", small_table()
    finals = ledger.build(table, repo)
    assert _git(repo, "rev-parse", ledger.CANDIDATES) == finals[-1]  # always there for asv
    rcs = [_candidate("0.69.0rc1"), _candidate("0.69.0rc2", "2026-11-25T10:00:00Z")]
    hashes = ledger.build(table, repo, rcs)
    assert hashes[:3] == finals  # no final release's hash changes
    assert _git(repo, "rev-parse", "main") == finals[-1]
    assert _git(repo, "rev-parse", ledger.CANDIDATES) == hashes[-1]
    assert _git(repo, "rev-parse", f"{hashes[-1]}~2") == finals[-1]
    assert _git(repo, "tag", "--points-at", hashes[-1]) == ""
    row = subprocess.run(["git", "-C", str(repo), "show", f"{hashes[-1]}:{ledger.ROW_FILE}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert releases.parse_table(row, candidates=True) == [rcs[1]]
    assert _git(repo, "show", f"{hashes[-1]}:{ledger.VERSION_FILE}") == "0.69.0rc2"
    assert ledger.candidate_commits(repo) == ["0.69.0rc1", "0.69.0rc2"]


def test_candidates_stay_until_a_final_release_moves_main_on(tmp_path):
    repo, table = tmp_path / "ledger", small_table()
    hashes = ledger.build(table, repo, [_candidate("0.69.0rc1")])
    ledger.build(table, repo)  # a run without --candidates keeps them
    assert _git(repo, "rev-parse", ledger.CANDIDATES) == hashes[-1]
    final = Release("0.69.0", releases.parse_date("2026-11-26T10:00:00Z"), "0.51.0",
                    ["3.11"], ">=1.22,<2.6")  # fmt: skip
    moved = ledger.build([*table, final], repo)
    assert _git(repo, "rev-parse", ledger.CANDIDATES) == moved[-1]
    assert ledger.candidate_commits(repo) == []


def test_a_candidate_must_be_newer_than_the_last_release(tmp_path):
    with pytest.raises(ledger.LedgerError, match=r"not a candidate newer than 0\.68\.1"):
        ledger.build(small_table(), tmp_path / "ledger", [_candidate("0.68.1rc1")])


def test_the_table_itself_refuses_candidates():
    text = releases.format_table([_candidate("0.69.0rc1")])
    with pytest.raises(releases.TableError, match="final releases only"):
        releases.parse_table(text)


# --- only its own repository ------------------------------------------------------------------

USER = {"GIT_AUTHOR_NAME": "A User", "GIT_AUTHOR_EMAIL": "user@example.invalid",
        "GIT_COMMITTER_NAME": "A User", "GIT_COMMITTER_EMAIL": "user@example.invalid"}  # fmt: skip
LEDGER = {"GIT_AUTHOR_NAME": ledger.IDENTITY["name"], "GIT_AUTHOR_EMAIL": ledger.IDENTITY["email"],
          "GIT_COMMITTER_NAME": ledger.IDENTITY["name"],
          "GIT_COMMITTER_EMAIL": ledger.IDENTITY["email"]}  # fmt: skip


def _git_as(repo, who, *args):
    """git in a repository this test made, with no user or system config, as `who`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", **who)
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True, env=env).stdout.strip()  # fmt: skip


def _snapshot(root):
    """Every file, link and folder under `root` (its .git too), with its bytes and mode."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = pathlib.Path(folder, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[str(path)] = ("dir", info.st_mode)
            else:
                found[str(path)] = (info.st_mode, path.read_bytes())
    return found


def _users_repository(path, branch="master"):
    """A user's own repository: two commits on `branch`, an edit staged, another not, a file
    not tracked."""
    path.mkdir()
    _git_as(path, USER, "init", "--quiet", f"--initial-branch={branch}")
    (path / "paper.tex").write_text("draft 1\n")
    _git_as(path, USER, "add", "paper.tex")
    _git_as(path, USER, "commit", "--quiet", "-m", "first draft")
    (path / "paper.tex").write_text("draft 2\n")
    _git_as(path, USER, "commit", "--quiet", "-am", "second draft")
    (path / "data.csv").write_text("1,2\n")
    _git_as(path, USER, "add", "data.csv")
    (path / "paper.tex").write_text("draft 3, not committed yet\n")
    (path / "notes.txt").write_text("untracked\n")
    return path


def _one_line_refusal(capsys, argv):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("allocbench ledger: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("branch", ["master", "main"])
def test_a_users_repository_is_refused_and_left_exactly_as_it_was(tmp_path, capsys, branch):
    repo = _users_repository(tmp_path / "mine", branch)
    before = _snapshot(repo)
    err = _one_line_refusal(capsys, ["ledger", "--dir", str(repo)])
    assert f"{repo} is a git repository that allocbench did not make" in err
    assert _snapshot(repo) == before
    assert (repo / "paper.tex").read_text() == "draft 3, not committed yet\n"
    assert _git_as(repo, USER, "symbolic-ref", "HEAD") == f"refs/heads/{branch}"
    assert _git_as(repo, USER, "branch", "--list", "--format=%(refname:short)") == branch


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_dir_is_refused_even_in_a_repository(tmp_path, capsys, monkeypatch, name):
    repo = _users_repository(tmp_path / "mine", "main")
    monkeypatch.chdir(repo)
    before = _snapshot(repo)
    err = _one_line_refusal(capsys, ["ledger", "--dir", name])
    assert "--dir is empty" in err
    assert _snapshot(repo) == before
    with pytest.raises(ledger.LedgerError, match="empty name"):
        ledger.build(small_table(), name)
    assert _snapshot(repo) == before


def test_the_current_folder_by_name_is_refused_when_it_is_not_a_ledger(tmp_path, monkeypatch,
                                                                       capsys):  # fmt: skip
    repo = _users_repository(tmp_path / "mine")
    monkeypatch.chdir(repo)
    before = _snapshot(repo)
    assert "did not make" in _one_line_refusal(capsys, ["ledger", "--dir", "."])
    assert _snapshot(repo) == before


def test_a_work_tree_whose_repository_is_elsewhere_is_refused(tmp_path):
    repo = _users_repository(tmp_path / "mine", "main")
    linked = tmp_path / "linked"
    _git_as(repo, USER, "worktree", "add", "--quiet", "-b", "other", str(linked))
    before = _snapshot(tmp_path)
    with pytest.raises(ledger.LedgerError, match="repository is elsewhere"):
        ledger.build(small_table(), linked)
    with pytest.raises(ledger.LedgerError, match=r"inside a \.git folder"):
        ledger.build(small_table(), repo / ".git" / "ledger")
    assert _snapshot(tmp_path) == before


def _legacy_ledger(path, rows=SMALL):
    """A ledger as allocbench made it before the mark: no mark, work tree reset to main."""
    hashes = ledger.build(small_table(rows), path)
    _git_as(path, USER, "config", "--unset", ledger.MARK)
    _git_as(path, USER, "reset", "--quiet", "--hard", "main")
    return hashes


def test_a_ledger_made_before_the_mark_is_adopted_and_extended(tmp_path):
    repo = tmp_path / "ledger"
    old = _legacy_ledger(repo, SMALL[:2])
    assert not ledger.is_marked(repo) and ledger.not_a_ledger(repo) is None
    new = ledger.build(small_table(), repo)
    assert new[:2] == old and len(new) == 3
    assert ledger.is_marked(repo)
    assert (repo / ledger.VERSION_FILE).read_text() == "0.57.1\n"  # its work tree as it was
    assert ledger.build(small_table(), repo) == new


def _stray_commit(repo, who, files, branch="main"):
    """A commit on `branch` of the test's own repository holding `files`."""
    entries = ""
    for name, text in files.items():
        blob = subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        entries += f"100644 blob {blob.strip()}\t{name}\n"
    tree = subprocess.run(["git", "-C", str(repo), "mktree"], input=entries,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    tip = _git_as(repo, who, "commit-tree", tree, "-p", branch, "-m", "stray")
    _git_as(repo, who, "update-ref", f"refs/heads/{branch}", tip)


def _uncommitted(repo):
    (repo / ledger.VERSION_FILE).write_text("my own notes\n")


def _untracked(repo):
    (repo / "notes.txt").write_text("mine\n")


def _staged(repo):
    (repo / "notes.txt").write_text("mine\n")
    _git_as(repo, USER, "add", "notes.txt")


def _foreign_commit(repo):
    _stray_commit(repo, USER, {ledger.VERSION_FILE: "0.68.1\n"})


def _foreign_file(repo):
    _stray_commit(repo, LEDGER, {ledger.VERSION_FILE: "0.68.1\n", "notes.txt": "mine\n"})


def _other_branch(repo):
    _git_as(repo, USER, "branch", "work", "main")


def _detached(repo):
    _git_as(repo, USER, "checkout", "--quiet", "--detach", "main")


def _stash(repo):
    _uncommitted(repo)
    _git_as(repo, USER, "stash", "--quiet")


@pytest.mark.parametrize(
    "change, why",
    [
        (_uncommitted, "changes not committed"),
        (_untracked, "changes not committed"),
        (_staged, "changes not committed"),
        (_foreign_commit, "not written by the ledger"),
        (_foreign_file, "hold notes.txt"),
        (_other_branch, "refs/heads/work"),
        (_detached, "HEAD is not on a branch"),
        (_stash, "refs/stash"),
    ],
)
def test_an_unmarked_repository_that_is_not_provably_a_ledger_is_refused(tmp_path, change, why):
    repo = tmp_path / "ledger"
    _legacy_ledger(repo)
    change(repo)
    before = _snapshot(repo)
    with pytest.raises(ledger.LedgerError, match=why):
        ledger.build(small_table(), repo)
    assert _snapshot(repo) == before


def test_an_unmarked_empty_repository_is_refused(tmp_path, capsys):
    repo = tmp_path / "new"
    repo.mkdir()
    _git_as(repo, USER, "init", "--quiet", "--initial-branch=main")
    before = _snapshot(repo)
    assert "it has no commits" in _one_line_refusal(capsys, ["ledger", "--dir", str(repo)])
    assert _snapshot(repo) == before


def test_the_commits_of_a_ledger_without_tags_are_read(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "NUMBA_VERSION").write_text("0.57.1\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "NUMBA_VERSION"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "numba 0.57.1"], check=True)  # fmt: skip
    (found,) = ledger.commits(tmp_path)
    assert (found["version"], found["tags"]) == ("0.57.1", [])
