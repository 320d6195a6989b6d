"""The release ledger: built from a small table in a temporary directory."""

import subprocess

import pytest

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
    assert (repo / ledger.VERSION_FILE).read_text() == "0.68.1\n"  # work tree at the tip


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
