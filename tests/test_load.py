"""The machine's load while something measured, and the log of it beside the results."""

import json
import subprocess
import sys
import time

import pytest

from allocbench import files, load
from allocbench.history import load_log


def _planted(monkeypatch, jiffies, own_seconds, tick=100):
    readings = iter(jiffies)
    owns = iter(own_seconds)
    monkeypatch.setattr(load, "_cpu_jiffies", lambda: next(readings))
    monkeypatch.setattr(load, "_own_seconds", lambda children: next(owns))
    monkeypatch.setattr(load.os, "sysconf", lambda name: tick)
    clock = iter([100.0, 102.0])
    monkeypatch.setattr(load.time, "monotonic", lambda: next(clock))


def test_other_processes_cpu_is_the_busy_time_less_the_watchers_own(monkeypatch):
    #            user nice system idle iowait irq softirq steal
    start = [1000, 0, 500, 9000, 0, 0, 0, 0]
    end = [1250, 0, 550, 9180, 0, 0, 0, 20]  # 320 busy jiffies = 3.2 s, 0.2 s of it steal
    _planted(monkeypatch, [start, end], [10.0, 11.2])  # the watcher used 1.2 s
    measured = load.Watch().load()
    assert measured.seconds == 2.0
    assert measured.other_cores == pytest.approx((3.2 - 1.2) / 2.0)
    assert measured.steal == pytest.approx(20 / 500)
    assert "other processes used 1.00 cores" in measured.describe()
    assert load.cores_not_idle(measured).startswith("the cores were not idle: other processes")


def test_idle_cores_are_no_reason_for_an_na(monkeypatch):
    _planted(monkeypatch, [[0] * 8, [100, 0, 0, 100, 0, 0, 0, 0]], [0.0, 1.0])
    measured = load.Watch().load()
    assert measured.other_cores == 0.0 and load.cores_not_idle(measured) is None


def test_a_process_spinning_beside_the_watcher_is_seen():
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        watch = load.Watch()
        time.sleep(0.8)
        measured = watch.load()
    finally:
        spinner.kill()
        spinner.wait()
    assert measured.other_cores > 0.5, measured
    assert load.cores_not_idle(measured) is not None


def _a_load(cores=0.25):
    return load.Load(seconds=60.0, other_cores=cores, steal=0.0, load_average=0.5,
                     involuntary_switches=120)  # fmt: skip


def test_the_log_keeps_every_run_and_names_the_newest_load_of_each_commit(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    load_log.record(results, "vm", "py3.11", ["aaa", "bbb"], _a_load(0.25))
    load_log.record(results, "vm", "py3.11", ["bbb"], _a_load(0.75))
    entries = load_log.read(results)
    assert [e.commits for e in entries] == [("aaa", "bbb"), ("bbb",)]
    newest = load_log.by_run(entries)
    assert newest[("vm", "py3.11", "aaa")].other_cores == 0.25
    assert newest[("vm", "py3.11", "bbb")].other_cores == 0.75
    assert load_log.path(results) == tmp_path / "results.load.json"


def test_a_damaged_log_is_set_aside_and_a_new_one_started(tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    load_log.path(results).write_text('{"not": "a list"}')
    with pytest.raises(files.FileError, match="not a load log"):
        load_log.read(results)
    load_log.record(results, "vm", "py3.11", ["aaa"], _a_load())
    assert "set aside as results.load.json.damaged-" in capsys.readouterr().out
    aside = list(tmp_path.glob("results.load.json.damaged-*"))
    assert len(aside) == 1 and json.loads(aside[0].read_text()) == {"not": "a list"}
    assert len(load_log.read(results)) == 1
