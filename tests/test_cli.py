"""The `allocbench` command: listing and refusing bad input with a clear message."""

import json
import subprocess
import sys

import pytest

from allocbench import catalog as sizes
from allocbench.cli import main
from allocbench.harness.paths import PATHS


def test_paths_lists_every_path(capsys):
    assert main(["paths"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(PATHS)


def test_paths_json(capsys):
    main(["paths", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(PATHS)
    assert {r["library"] for r in rows} == {"numpy", "numba", "mixed", "allocbench"}


def test_sizes_json(capsys):
    main(["sizes", "--json"])
    grids = json.loads(capsys.readouterr().out)
    assert grids["alloc"] == list(sizes.ALLOC_SIZES)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fresh", "--paths", "numpy.nope"], "invalid choice"),
        (["fresh", "--sizes", "12"], "positive multiple of 4096"),
        (["fresh", "--sizes", "1e9"], "not a size in bytes"),
        (["fresh", "--repeats", "0"], "invalid choice"),
        (["nope"], "invalid choice"),
    ],
)
def test_bad_input_is_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "usage:" not in err


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "allocbench.cli", "paths"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert "numba.zeros" in out


def test_fresh_command_json(capsys):
    assert main(["fresh", "--paths", "numpy.empty", "--sizes", "1048576", "--repeats", "1",
                 "--json"]) == 0  # fmt: skip
    (record,) = json.loads(capsys.readouterr().out)
    assert record["path"] == "numpy.empty" and record["nbytes"] == 1048576


def test_history_refuses_bad_versions_before_writing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "asv.conf.json").write_text('{"repo": ".asv/ledger", "include": []}')
    for bad in ("0.99.0", "0.57.1;reboot", "v0.57.1"):
        assert main(["history", "--releases", bad]) == 1
        err = capsys.readouterr().err
        assert "allocbench history:" in err and "Traceback" not in err
    assert not (tmp_path / ".asv").exists()


def test_a_malformed_table_is_named(tmp_path, capsys):
    table = tmp_path / "t.tsv"
    table.write_text("numba\treleased\n0.57.1\t2023\n")
    for command in (["releases"], ["ledger", "--dir", str(tmp_path / "l")], ["history"]):
        assert main([*command, "--table", str(table)]) == 1
        assert str(table) in capsys.readouterr().err
    assert not (tmp_path / "l").exists()


def test_history_without_candidates_on_the_index_measures_nothing(tmp_path, monkeypatch, capsys):
    from allocbench.history import pypi, releases

    monkeypatch.chdir(tmp_path)
    (tmp_path / "asv.conf.json").write_text('{"repo": ".asv/ledger", "include": []}')
    table = releases.load()
    wheels = [(f"numba-{r.numba}-cp311-cp311-linux_x86_64.whl", r.released) for r in table]
    page = {"files": [{"filename": f, "upload-time": releases.format_date(t)} for f, t in wheels]}
    monkeypatch.setattr(pypi, "fetch_project", lambda: page)
    assert main(["history", "--candidates", "--no-publish"]) == 0
    assert f"no release candidate newer than numba {table[-1].numba}" in capsys.readouterr().out
    assert not (tmp_path / ".asv").exists()
