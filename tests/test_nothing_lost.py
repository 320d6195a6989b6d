"""Nothing lost: results written atomically, one run per results directory, clean stops, and
one rule for what a results file is, whichever command reads it."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from allocbench.cli import main
from allocbench.history import job, lock, scratch
from allocbench.results import rules
from allocbench.results.damaged import set_aside_damaged

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLUMNS = ["result", "params", "version", "started_at", "duration"]
ENV = "virtualenv-py3.11-numpy1.24.4"
COMMIT = "0123456789abcdef"


def _results(folder, benchmarks=48, machine="box"):
    """A results file as asv writes it, with `benchmarks` measured benchmarks; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    data = {"commit_hash": COMMIT, "env_name": ENV, "date": 0, "python": "3.11",
            "params": {"machine": machine, "python": "3.11"}, "requirements": {},
            "env_vars": {}, "result_columns": COLUMNS, "durations": {}, "version": 2,
            "results": {f"bench_x.X.time_{i}": [[float(i)], [], "v", 1000, 1.0]
                        for i in range(benchmarks)}}  # fmt: skip
    path = folder / rules.result_filename(COMMIT, ENV)
    path.write_text(json.dumps(data))
    return path


# asv's own Results.save, in a process whose file size limit stops the write part-way (EFBIG,
# as a full disk does with ENOSPC), once through the history's writer and once through asv's.
_SAVE = textwrap.dedent(
    """
    import resource, signal, sys
    from asv import results, util
    from allocbench.history import asv_command
    path, atomic = sys.argv[1], sys.argv[2] == "atomic"
    result = results.Results.load(path)
    if atomic:
        util.write_json = asv_command.atomic(util.write_json)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = 2048
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        result.save(sys.argv[3])
    except Exception as exc:
        print(type(exc).__name__, exc)
        sys.exit(1)
    """
)


@pytest.mark.parametrize("atomic", [True, False])
def test_a_write_that_fails_part_way_keeps_the_earlier_measurements(tmp_path, atomic):
    results = tmp_path / "results"
    path = _results(results / "box")
    before = path.read_bytes()
    assert len(before) > 2048
    done = subprocess.run([sys.executable, "-c", _SAVE, str(path), "atomic" if atomic else "plain",
                           str(results)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1, done.stderr
    if atomic:
        assert path.read_bytes() == before  # all 48 measurements still there
        assert f"cannot write {path}" in done.stdout and "file size limit" in done.stdout
        assert sorted(p.name for p in path.parent.iterdir()) == sorted(["machine.json", path.name])
    else:  # asv's own writer: what the history used to lose
        assert len(path.read_bytes()) <= 2048 and rules.flaw(path) is not None


def test_asv_runs_through_the_atomic_writer():
    done = subprocess.run([*job.ASV, "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "asv" in done.stdout.lower(), done.stderr


def _hold_in_another_process(results_dir, ready):
    code = ("import pathlib, sys, time\nfrom allocbench.history import lock\n"
            "with lock.hold(pathlib.Path(sys.argv[1]), ['allocbench', 'history', '--all']):\n"
            "    pathlib.Path(sys.argv[2]).touch()\n    time.sleep(120)\n")  # fmt: skip
    holder = subprocess.Popen([sys.executable, "-c", code, str(results_dir), str(ready)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline and holder.poll() is None
        time.sleep(0.05)
    return holder


def test_a_second_run_names_the_holder_and_a_dead_holders_lock_is_taken_over(tmp_path):
    results_dir = tmp_path / ".asv" / "results"
    holder = _hold_in_another_process(results_dir, tmp_path / "ready")
    try:
        with pytest.raises(lock.LockedError) as info, lock.hold(results_dir):
            pass
        assert f"is in use by process {holder.pid} (allocbench history --all)" in str(info.value)
    finally:
        holder.kill()  # dies holding the lock, as a killed run does
        holder.wait()
    with lock.hold(results_dir, ["allocbench", "history"]):
        assert json.loads(lock.lock_path(results_dir).read_text())["pid"] == os.getpid()


def test_history_refuses_to_run_beside_another_run(tmp_path, capsys, monkeypatch):
    conf = json.loads((ROOT / "asv.conf.json").read_text())
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    results_dir = tmp_path / conf["results_dir"]
    holder = _hold_in_another_process(results_dir, tmp_path / "ready")
    monkeypatch.chdir(tmp_path)
    try:
        assert main(["history", "--releases", "0.68.1", "--env", ENV, "--no-publish"]) == 1
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip()
    assert err.startswith("allocbench history: ") and len(err.splitlines()) == 1
    assert f"in use by process {holder.pid}" in err
    assert not (tmp_path / conf["repo"]).exists()


# A command that runs a child the way the history runs asv: the child puts a grandchild in a
# process group of its own (as asv does with its benchmarks and forkserver), and both sleep;
# on SIGINT the child exits and leaves the grandchild behind, the orphan the stop must find.
_STOPPABLE = textwrap.dedent(
    """
    import pathlib, sys
    from allocbench.cli import main
    from allocbench.cli.base import Command
    from allocbench.history import job, scratch

    CHILD = '''
    import os, pathlib, subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                                  preexec_fn=lambda: os.setpgid(0, 0))
    pathlib.Path(sys.argv[1]).write_text(f"{os.getpid()} {grandchild.pid}")
    try:
        time.sleep(300)
    except KeyboardInterrupt:  # as asv does, through allocbench.history.asv_command
        sys.exit(130)
    '''

    class Sleepy(Command):
        name = "sleepy"

        def run(self, args):
            with scratch.scratch_folder(pathlib.Path(sys.argv[2])) as folder:
                (folder / "commits.txt").write_text("abc")
                job._run([sys.executable, "-c", CHILD, sys.argv[1]], pathlib.Path.cwd(), None)
            return 0

    sys.exit(main(["sleepy"]))
    """
)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    stat = pathlib.Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_every_process_and_remove_the_scratch_folder(tmp_path, signum):
    pids = tmp_path / "pids"
    scratch_parent = tmp_path / "scratch"
    scratch_parent.mkdir()
    run = subprocess.Popen([sys.executable, "-c", _STOPPABLE, str(pids), str(scratch_parent)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not (pids.exists() and pids.read_text()):
        assert time.monotonic() < deadline and run.poll() is None, run.communicate()
        time.sleep(0.05)
    child, grandchild = map(int, pids.read_text().split())
    run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signum
    assert err.strip() == f"allocbench sleepy: stopped by {signal.Signals(signum).name}"
    time.sleep(0.2)
    assert not _alive(child) and not _alive(grandchild)
    assert list(scratch_parent.iterdir()) == []


def test_a_damaged_file_is_set_aside_across_filesystems(tmp_path):
    shm = pathlib.Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    elsewhere = pathlib.Path(__import__("tempfile").mkdtemp(dir=shm))
    try:
        path = _results(elsewhere / "box")
        path.write_text('{"results": {"trunc')
        (tmp_path / "results").symlink_to(elsewhere)
        moved = set_aside_damaged(tmp_path / "results")
        assert [(p.name, why.startswith("not JSON")) for p, why in moved] == [(path.name, True)]
        assert moved[0][0].read_text() == '{"results": {"trunc'
        assert moved[0][0].is_relative_to(tmp_path / "damaged") and not path.exists()
    finally:
        __import__("shutil").rmtree(elsewhere)


def _hostile(results_dir, kind):
    folder = results_dir / "box"
    path = _results(folder)
    if kind == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif kind == "empty object":
        path.write_text("{}")
    elif kind == "deeply nested":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "another machine":
        data = json.loads(path.read_text())
        data["params"]["machine"] = "other"
        path.write_text(json.dumps(data))
    return path


KINDS = {
    "fifo": "not a regular file",
    "empty object": "not an asv results file of version 2",
    "deeply nested": "nested more than",
    "another machine": "its machine is 'other'",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_reader_refuses_the_same_files_in_one_line_and_the_history_sets_them_aside(
    tmp_path, kind
):
    results_dir = tmp_path / "results"
    path = _hostile(results_dir, kind)
    for argv in (["ratio", "--results", str(results_dir)],
                 ["report", "--results", str(results_dir), "--out", str(tmp_path / "report")],
                 ["merge", str(results_dir), "--into", str(tmp_path / "merged")]):  # fmt: skip
        code = f"import sys\nfrom allocbench.cli import main\nsys.exit(main({argv!r}))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        err = done.stderr.strip()
        assert done.returncode == 1 and len(err.splitlines()) == 1, (argv, err)
        assert str(path) in err and KINDS[kind] in err, (argv, err)
    moved = set_aside_damaged(results_dir)
    assert [(p.name, KINDS[kind] in why) for p, why in moved] == [(path.name, True)]
    assert not path.exists() and not path.is_fifo()


def test_an_empty_bench_regex_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["history", "--bench", ""]) == 1
    assert "an empty regex would select every benchmark" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_only_the_named_environment_must_run_a_release_of_the_table():
    from allocbench.history import environments, releases

    conf = environments.load_config(ROOT)
    py38 = next(e for e in environments.environments(conf) if e.python == "3.8")
    table = [r for r in releases.load() if py38.supports(r)][:1]
    only_there = [e for e in environments.environments(conf) if e.supports(table[0])]
    assert py38 in only_there and len(only_there) < len(environments.environments(conf))
    chosen = job._environments(conf, table, job.Options(envs=[py38.name]))
    assert chosen == [py38]
    elsewhere = next(e for e in environments.environments(conf) if not e.supports(table[0]))
    with pytest.raises(job.HistoryError, match=f"no release in the table runs in {elsewhere.name}"):
        job._environments(conf, table, job.Options(envs=[elsewhere.name]))


def test_a_stale_scratch_folder_and_the_lock_are_per_run(tmp_path):
    assert scratch.remove_stale(tmp_path) == []
    assert lock.lock_path(tmp_path / "results") == tmp_path / "results.lock"
