"""Merging asv results directories: two machines side by side from a real asv run, published
together; a file in two sources merged benchmark by benchmark, the newer measurement winning;
bad input refused with a message and nothing written."""

import json
import shutil

import pytest
from asvtools import MACHINE, run_asv

from allocbench.cli import main
from allocbench.results import merge

COLUMNS = ["result", "params", "version", "started_at", "duration"]
ENV = "virtualenv-py3.11-numpy1.24.4"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _results(machine, benchmarks, commit=COMMIT, env=ENV):
    """An asv results file: {benchmark: (value, started_at in ms)}."""
    return {
        "commit_hash": commit,
        "env_name": env,
        "date": 1687369315000,
        "params": {"machine": machine, "python": "3.11", "numpy": "1.24.4"},
        "python": "3.11",
        "requirements": {"numpy": "1.24.4"},
        "env_vars": {},
        "result_columns": COLUMNS,
        "results": {b: [[v], [], "v1", t, 0.5] for b, (v, t) in benchmarks.items()},
        "durations": {},
        "version": 2,
    }


def _tree(directory, machine="box", files=None):
    """A results directory: benchmarks.json, machine.json and results files."""
    files = files if files is not None else {(COMMIT, ENV): {"b.T.time_a": (1.0, 1000)}}
    folder = directory / machine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    names = sorted({b for benches in files.values() for b in benches})
    (directory / "benchmarks.json").write_text(
        json.dumps({"version": 2, **{b: {"name": b, "version": "v1"} for b in names}})
    )
    for (commit, env), benches in files.items():
        data = _results(machine, benches, commit, env)
        (folder / merge.result_filename(commit, env)).write_text(json.dumps(data))
    return directory


def _read(directory, machine="box", commit=COMMIT, env=ENV):
    return json.loads((directory / machine / merge.result_filename(commit, env)).read_text())


def _snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def as_machine(source, dest, old, new):
    """A copy of results directory `source` in which machine `old` is called `new`."""
    shutil.copytree(source, dest)
    (dest / old).rename(dest / new)
    for path in (dest / new).glob("*.json"):
        data = json.loads(path.read_text())
        if path.name == "machine.json":
            data["machine"] = new
        else:
            data["params"]["machine"] = new
        path.write_text(json.dumps(data))
    return dest


@pytest.mark.slow
def test_two_machines_from_a_real_run_are_published_side_by_side(root, quick_run, tmp_path, capsys):
    (tmp, config, env, _hashes), _ = quick_run
    before = _snapshot(tmp / "results")
    other = as_machine(tmp / "results", tmp_path / "other", MACHINE, "otherbox")
    merged = tmp_path / "merged"
    assert main(["merge", str(tmp / "results"), str(other), "--into", str(merged)]) == 0
    out = capsys.readouterr().out
    assert "otherbox: " in out and f"{MACHINE}: " in out
    assert _snapshot(tmp / "results") == before  # sources are only read
    ours = sorted(p.name for p in (merged / MACHINE).iterdir())
    assert ours == sorted(p.name for p in (tmp / "results" / MACHINE).iterdir())
    assert ours == sorted(p.name for p in (merged / "otherbox").iterdir())

    conf = json.loads(config.read_text())
    conf.update(results_dir=str(merged), html_dir=str(tmp_path / "html"))
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    run_asv(["publish", "--config", str(tmp_path / "asv.conf.json")], root, env)
    index = json.loads((tmp_path / "html" / "index.json").read_text())
    assert set(index["machines"]) == {MACHINE, "otherbox"}
    graphs = {}
    for machine in (MACHINE, "otherbox"):
        (path,) = (tmp_path / "html" / "graphs").glob(
            f"branch-main/machine-{machine}/**/bench_seed.SeedPlot.time_numba_zeros.json"
        )
        graphs[machine] = json.loads(path.read_text())
    assert graphs[MACHINE] == graphs["otherbox"]
    assert any(point[1][0] is not None for point in graphs["otherbox"])


@pytest.mark.parametrize("order", ["old first", "new first"])
def test_a_file_in_two_sources_keeps_every_benchmark_and_the_newer_measurement(
    tmp_path, order, capsys
):
    old_benches = {"b.T.time_a": (1.0, 1000), "b.T.time_only_old": (3.0, 1000)}
    new_benches = {"b.T.time_a": (2.0, 5000), "b.T.time_only_new": (4.0, 5000)}
    old = _tree(tmp_path / "old", files={(COMMIT, ENV): old_benches})
    new = _tree(tmp_path / "new", files={(COMMIT, ENV): new_benches})
    sources = [old, new] if order == "old first" else [new, old]
    assert main(["merge", *map(str, sources), "--into", str(tmp_path / "out")]) == 0
    results = _read(tmp_path / "out")["results"]
    assert {b: row[0] for b, row in results.items()} == {
        "b.T.time_a": [2.0],
        "b.T.time_only_old": [3.0],
        "b.T.time_only_new": [4.0],
    }
    out = capsys.readouterr().out
    assert f"box/{merge.result_filename(COMMIT, ENV)}: b.T.time_a measured in both" in out
    assert f"kept {new}'s (newer), dropped {old}'s" in out


def test_a_value_that_is_not_a_number_is_refused_as_ratio_and_report_refuse_it(tmp_path, capsys):
    old = _tree(tmp_path / "old", files={(COMMIT, ENV): {"b.T.time_a": (1.0, 1000)}})
    new = _tree(tmp_path / "new", files={(COMMIT, ENV): {"b.T.time_a": ("abc", 5000)}})
    assert main(["merge", str(new), str(old), "--into", str(tmp_path / "out")]) == 1
    merge_said = capsys.readouterr().err
    assert "b.T.time_a has a value that is not a number: 'abc'" in merge_said
    assert not (tmp_path / "out").exists()
    assert main(["ratio", "--results", str(new)]) == 1
    assert "b.T.time_a has a value that is not a number: 'abc'" in capsys.readouterr().err


def test_identical_copies_merge_silently_and_unchanged(tmp_path, capsys):
    first = _tree(tmp_path / "a")
    second = tmp_path / "b"
    shutil.copytree(first, second)
    assert main(["merge", str(first), str(second), "--into", str(tmp_path / "out")]) == 0
    assert "measured in both" not in capsys.readouterr().out
    name = merge.result_filename(COMMIT, ENV)
    assert (tmp_path / "out" / "box" / name).read_bytes() == (first / "box" / name).read_bytes()


def test_what_dest_holds_is_kept_as_the_oldest_source(tmp_path):
    dest = _tree(tmp_path / "dest", machine="linux", files={(COMMIT, ENV): {"b.T.time_a": (5, 1)}})
    mac = _tree(tmp_path / "mac", machine="macos", files={(COMMIT, ENV): {"b.T.time_a": (6, 2)}})
    assert main(["merge", str(mac), "--into", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["benchmarks.json", "linux", "macos"]
    assert _read(dest, "linux")["results"]["b.T.time_a"][0] == [5]
    assert _read(dest, "macos")["results"]["b.T.time_a"][0] == [6]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "mac"]  # no temporaries left


def test_a_changed_machine_description_is_reported(tmp_path, capsys):
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    (second / "box" / "machine.json").write_text(
        json.dumps({"machine": "box", "cpu": "another", "version": 1})
    )
    assert main(["merge", str(first), str(second), "--into", str(tmp_path / "out")]) == 0
    assert f"box/machine.json: differs in {second}; kept that one" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "box" / "machine.json").read_text())["cpu"] == "another"


def _not_json(src):
    (src / "box" / "notes.json").write_text("not json {")


def _foreign_json(src):
    (src / "box" / "notes.json").write_text(json.dumps({"hello": "world"}))


def _stray_file(src):
    (src / "README.md").write_text("results")


def _wrong_machine_json(src):
    (src / "box" / "machine.json").write_text(json.dumps({"machine": "other", "version": 1}))


def _misnamed_results(src):
    name = merge.result_filename(COMMIT, ENV)
    (src / "box" / name).rename(src / "box" / ("ffffffff" + name[8:]))


def _results_of_another_machine(src):
    path = src / "box" / merge.result_filename(COMMIT, ENV)
    data = json.loads(path.read_text())
    data["params"]["machine"] = "other"
    path.write_text(json.dumps(data))


def _only_benchmarks_json(src):
    shutil.rmtree(src / "box")


@pytest.mark.parametrize(
    "spoil, message",
    [
        (None, "no such results directory"),
        (_not_json, "notes.json: not JSON"),
        (_foreign_json, "notes.json: not an asv results file of version 2"),
        (_stray_file, "README.md: not part of an asv results directory"),
        (_wrong_machine_json, "machine.json: names machine 'other'"),
        (_misnamed_results, "asv would name this result 01234567-"),
        (_results_of_another_machine, "its machine is 'other', not its folder's 'box'"),
        (_only_benchmarks_json, "holds no asv results"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(tmp_path, capsys, spoil, message):
    good = _tree(tmp_path / "good", machine="ok")
    bad = tmp_path / "bad"
    if spoil is not None:
        _tree(bad)
        spoil(bad)
    dest = _tree(tmp_path / "dest", machine="kept")
    before = _snapshot(dest)
    assert main(["merge", str(good), str(bad), "--into", str(dest)]) == 1
    err = capsys.readouterr().err
    assert message in err and f"nothing written to {dest}" in err
    assert _snapshot(dest) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["good", "dest"] + (["bad"] if spoil else [])
    )


def test_an_empty_source_directory_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["merge", str(tmp_path / "empty"), "--into", str(tmp_path / "out")]) == 1
    assert "holds no asv results" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_two_files_of_one_name_but_different_commits_are_refused(tmp_path, capsys):
    other = COMMIT[:8] + "f" * 32  # the same first 8 hex digits, so the same file name
    first = _tree(tmp_path / "a")
    second = _tree(tmp_path / "b", files={(other, ENV): {"b.T.time_a": (1.0, 1000)}})
    assert main(["merge", str(first), str(second), "--into", str(tmp_path / "out")]) == 1
    assert "disagree on commit_hash" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_confirmations_beside_each_source_are_kept_beside_the_merged_results(tmp_path, capsys):
    """As the weekly run's measuring jobs upload them: results/ and confirmations.json."""
    from allocbench.history import confirmations as store

    linux = _tree(tmp_path / "linux" / "results", machine="linux")
    mac = _tree(tmp_path / "mac" / "results", machine="macos")
    (tmp_path / "none").mkdir()
    plain = _tree(tmp_path / "none" / "results", machine="other")
    for source, when in ((linux, "2026-01-01"), (mac, "2026-01-02")):
        for key in ("a|e|1|2", f"{source.parent.name}|e|1|2"):
            store.write_confirmation(store.Places(source), key, {"when": when, "figures": {}})
    into = tmp_path / "dest" / "results"
    args = ["merge", str(linux), str(mac), str(plain), "--into", str(into), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["confirmations"] == [
        "a|e|1|2", "linux|e|1|2", "mac|e|1|2"]  # fmt: skip
    kept = store.read_confirmations(store.Places(into))
    assert sorted(kept) == ["a|e|1|2", "linux|e|1|2", "mac|e|1|2"]
    assert kept["a|e|1|2"]["when"] == "2026-01-02"  # the one made last
    (tmp_path / "mac" / "confirmations.json").write_text("{")
    assert main(args) == 1
    assert "damaged confirmations file" in capsys.readouterr().err
