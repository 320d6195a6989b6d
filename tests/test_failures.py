"""Every user mistake and damaged input ends in one line and a non-zero exit, losing nothing."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from allocbench.cli import main
from allocbench.cli.base import Command
from allocbench.results.damaged import set_aside_damaged

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _one_line_error(capsys, argv, text):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and text in err, err
    return err


@pytest.mark.parametrize("machine", ["../escape", "a/b", "", ".hidden", "x" * 65])
def test_a_machine_name_that_would_be_a_path_is_refused(capsys, tmp_path, monkeypatch, machine):
    monkeypatch.chdir(tmp_path)
    _one_line_error(capsys, ["history", "--machine", machine], "a machine name is letters")
    assert list(tmp_path.iterdir()) == []


def test_a_bench_regex_that_does_not_compile_is_refused_before_anything_is_built(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    _one_line_error(capsys, ["history", "--bench", "("], "is not a regular expression")
    assert list(tmp_path.iterdir()) == []


def test_a_release_that_cannot_run_in_the_environment_measures_nothing_and_says_so(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(ROOT)
    ledger = ROOT / ".asv" / "ledger"
    before = ledger.exists()
    argv = ["history", "--releases", "0.48.0", "--env", "virtualenv-py3.11-numpy1.24.4"]
    _one_line_error(capsys, argv, "nothing measured: none of numba 0.48.0 can run in")
    assert ledger.exists() == before  # refused before the ledger was built


def test_the_report_refuses_an_output_that_cannot_be_a_folder(capsys, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (tmp_path / "a-file").write_text("keep me")
    _one_line_error(capsys, ["report", "--results", str(results), "--out",
                             str(tmp_path / "a-file")], "is not a folder")  # fmt: skip
    assert (tmp_path / "a-file").read_text() == "keep me"
    _one_line_error(capsys, ["report", "--results", str(results), "--out",
                             str(tmp_path / "missing" / "out")], "no such folder")  # fmt: skip


def test_the_ledger_refuses_a_file(capsys, tmp_path):
    (tmp_path / "ledger").write_text("keep me")
    _one_line_error(capsys, ["ledger", "--dir", str(tmp_path / "ledger")], "is a file")
    assert (tmp_path / "ledger").read_text() == "keep me"


def test_a_table_that_is_not_utf8_is_refused(capsys, tmp_path):
    table = tmp_path / "releases.tsv"
    table.write_bytes(b"numba\treleased\n\xff\xfe\n")
    _one_line_error(capsys, ["releases", "--table", str(table)], "not UTF-8 text")


def test_ctrl_c_ends_in_one_line_and_status_130(capsys, monkeypatch):
    def interrupted(self, args):
        raise KeyboardInterrupt

    monkeypatch.setattr(Command, "run", interrupted, raising=False)
    from allocbench.cli import paths

    monkeypatch.setattr(paths.Paths, "run", interrupted)
    assert main(["paths"]) == 130
    assert capsys.readouterr().err.strip() == "allocbench paths: interrupted"


def test_a_damaged_results_file_is_set_aside_not_deleted(tmp_path):
    results = tmp_path / "results"
    (results / "box").mkdir(parents=True)
    good = results / "box" / "machine.json"
    good.write_text(json.dumps({"machine": "box", "version": 1}))
    bad = results / "box" / "01234567-env.json"
    bad.write_text('{"results": {"trunc')  # what a full disk leaves
    moved = [path for path, _ in set_aside_damaged(results)]
    assert [p.name for p in moved] == [bad.name] and not bad.exists() and good.exists()
    assert moved[0].read_text() == '{"results": {"trunc'
    assert moved[0].is_relative_to(tmp_path / "damaged")
    assert set_aside_damaged(results) == []


def test_a_value_that_is_not_a_number_is_reported_with_its_file_and_benchmark(capsys, tmp_path):
    folder = tmp_path / "results" / "box"
    folder.mkdir(parents=True)
    (folder / "machine.json").write_text(json.dumps({"machine": "box", "version": 1}))
    data = {"commit_hash": "abc", "env_name": "env", "params": {"machine": "box"},
            "requirements": {}, "date": 0, "python": "3.11", "version": 2,
            "result_columns": ["result", "params", "version", "started_at", "duration"],
            "results": {"bench_x.X.track_y": [["abc"], [], "v", 0, 1.0]}}  # fmt: skip
    (folder / "abc-env.json").write_text(json.dumps(data))
    err = _one_line_error(capsys, ["ratio", "--results", str(tmp_path / "results")],
                          "bench_x.X.track_y has a value that is not a number")  # fmt: skip
    assert "abc-env.json" in err


def test_the_memory_check_honours_the_process_limit():
    code = (
        "import resource\n"
        "from allocbench.harness import probes\n"
        "mapped = probes._mapped_bytes()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (mapped + 2**30, resource.RLIM_INFINITY))\n"
        "assert probes.rlimit_room() <= 2**30, probes.rlimit_room()\n"
        "assert not probes.fits_in_memory(2**30, copies=1)\n"
        "assert probes.fits_in_memory(2**20, copies=1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ})  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_killed_runs_scratch_folder_is_removed_by_the_next_run(tmp_path):
    from allocbench.history import scratch

    dead = tmp_path / f"{scratch.PREFIX}999999999-abc"  # no such process
    dead.mkdir()
    (dead / "asv-forkserver-x").mkdir()
    mine = tmp_path / f"{scratch.PREFIX}{os.getpid()}-def"
    mine.mkdir()
    assert scratch.remove_stale(tmp_path) == [dead]
    assert not dead.exists() and mine.exists()


def test_the_scratch_folder_goes_even_when_the_run_is_interrupted(tmp_path):
    from allocbench.history import scratch

    with pytest.raises(KeyboardInterrupt), scratch.scratch_folder(tmp_path) as folder:
        (folder / "commits.txt").write_text("abc\n")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_asv_quietly_and_goes_on(tmp_path, monkeypatch):
    import signal
    import threading

    from allocbench.history import job

    child = tmp_path / "child.py"
    child.write_text("import time\ntime.sleep(60)\n")
    # A shell starts background jobs with SIGINT ignored, and Python keeps it so: restore
    # Python's own handler, as at an interactive terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            job._run([sys.executable, str(child)], tmp_path, dict(os.environ))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
