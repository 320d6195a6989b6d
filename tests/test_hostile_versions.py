"""Versions longer than Python converts (4,300 digits): every command that reads one says so in
one line and exit status 1, and touches nothing (issue 21)."""

import pathlib

import pytest

from allocbench.cli import main
from allocbench.history import patched_numba, releases

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: More digits than int() takes from a string (sys.get_int_max_str_digits(), 4,300).
HUGE = "0." + "1" * 5000 + ".0"
GOOD_ROW = ["0.57.1", "2023-06-21T17:41:55Z", "0.40.1", "3.8,3.11", ">=1.21,<1.25", ""]


def _table(tmp_path, **cells):
    """A one-row release table with `cells` (by column name) replaced."""
    row = dict(zip(releases.COLUMNS, GOOD_ROW), **cells)
    path = tmp_path / "releases.tsv"
    path.write_text("\t".join(releases.COLUMNS) + "\n" + "\t".join(row.values()) + "\n")
    return path


def _one_line(capsys, argv, *wanted):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"allocbench {argv[0]}: "), err
    for text in wanted:
        assert text in err, err
    assert len(err) < 300, err  # the version is cut short, not printed whole
    return err


@pytest.mark.parametrize(
    "cells",
    [
        {"numba": HUGE},
        {"llvmlite": HUGE},
        {"pythons": "3." + "1" * 5000},
        {"numpy": ">=1." + "1" * 5000},
        {"numpy": "<" + HUGE[:-2]},
        {"note": "x" * 5000},
    ],
    ids=["numba", "llvmlite", "pythons", "numpy", "numpy-clause", "note"],
)
def test_releases_names_the_line(tmp_path, capsys, cells):
    table = _table(tmp_path, **cells)
    _one_line(capsys, ["releases", "--table", str(table)], f"{table} line 2")


def test_ledger_refuses_before_making_anything(tmp_path, capsys):
    table = _table(tmp_path, numba=HUGE)
    _one_line(capsys, ["ledger", "--table", str(table), "--dir", str(tmp_path / "l")], "5004")
    assert not (tmp_path / "l").exists()


def test_history_table(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = _table(tmp_path, numba=HUGE)
    _one_line(capsys, ["history", "--table", str(table), "--no-publish"], f"{table} line 2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["releases.tsv"]


def test_history_releases(tmp_path, capsys, monkeypatch):
    (tmp_path / "asv.conf.json").write_bytes((ROOT / "asv.conf.json").read_bytes())
    monkeypatch.chdir(tmp_path)  # the project's config, in a folder of the test's own
    argv = ["history", "--releases", HUGE, "--no-publish"]
    _one_line(capsys, argv, "not a release version", "5004 characters")
    assert not (tmp_path / ".asv" / "ledger").exists()  # refused before the ledger is built


def test_build_numba(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(patched_numba, "check_build_requirements", lambda p: pytest.fail("ran"))
    _one_line(capsys, ["build-numba", HUGE, "--out", str(tmp_path / "w")], "5004 characters")
    assert list(tmp_path.iterdir()) == []


def test_parse_version_refuses_before_converting():
    with pytest.raises(releases.TableError, match="5004 characters"):
        releases.parse_version(HUGE)
    with pytest.raises(releases.TableError):
        releases.parse_version("9" * 33, candidate=True)
    with pytest.raises(releases.TableError, match=r"like 1\.24\.4"):
        releases.specifier_contains(">=1.22", "1." + "2" * 5000)
    assert releases.parse_version("0.69.0rc1", candidate=True).pre == ("rc", 1)
