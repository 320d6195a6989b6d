"""Reading asv results: good files give records; empty, partial or foreign ones a clear error."""

import json

import pytest

from allocbench import results
from allocbench.catalog import MiB
from allocbench.cli import main
from allocbench.results.rules import result_filename

COLUMNS = ["result", "params", "version", "started_at", "duration"]


def _write(directory, results_dict, machine="box", env="virtualenv-py3.11-numba0.68.1"):
    """A results file as asv writes it: named by its commit and environment."""
    folder = directory / machine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    data = {
        "commit_hash": "abc123",
        "env_name": env,
        "params": {"machine": machine, "python": "3.11"},
        "requirements": {},
        "date": 0,
        "python": "3.11",
        "result_columns": COLUMNS,
        "results": results_dict,
        "version": 2,
    }
    (folder / result_filename("abc123", env)).write_text(json.dumps(data))
    names = {name: {"version": row[2], "param_names": ["path", "size"] if row[1] else []}
             for name, row in results_dict.items()}  # fmt: skip
    (directory / "benchmarks.json").write_text(json.dumps({**names, "version": 2}))


def _alloc(values):
    params = [["'numpy.zeros'", "'numba.zeros'"], [str(256 * MiB), str(MiB)]]
    return ["bench_alloc.Alloc.time_alloc", [values, params, "v", 0, 1.0]]


def test_records_and_ratio(tmp_path):
    name, entry = _alloc([2e-5, 1e-5, 0.2, 2e-5])
    _write(tmp_path, {name: entry, "bench_seed.X.time_y": [[0.5], [], "v"]})
    records = results.load(tmp_path)
    assert len(records) == 5
    assert (
        results.Record(
            "box",
            "virtualenv-py3.11-numba0.68.1",
            "abc123",
            name,
            ("numba.zeros", 256 * MiB),
            0.2,
            ("path", "size"),
            "3.11",
        )
        in records
    )
    (record,) = [r for r in records if r.params == ("numba.zeros", 256 * MiB)]
    assert record.param("size") == 256 * MiB and record.python == "3.11"
    (row,) = results.ratios(records)
    assert row["ratio"] == pytest.approx(0.2 / 2e-5)


def test_partial_results_skip_missing_values(tmp_path):
    name, entry = _alloc([None, 1e-5, 0.2, None])  # numpy.zeros at 256 MiB failed or was n/a
    _write(tmp_path, {name: entry})
    records = results.load(tmp_path)
    assert sum(r.value is None for r in records) == 2
    assert results.ratios(records) == []


def test_missing_and_empty_directories(tmp_path):
    with pytest.raises(results.ResultsError, match="no such results directory"):
        results.load(tmp_path / "nope")
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "machine.json").write_text("{}")
    with pytest.raises(results.ResultsError, match="no results files"):
        results.load(tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not JSON"),
        (json.dumps({"results": {}}), "not an asv results file of version 2"),
        (json.dumps({"version": 2, "results": {}}), "not an asv results file"),
    ],
)
def test_foreign_files_are_named(tmp_path, content, message):
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "x.json").write_text(content)
    with pytest.raises(results.ResultsError, match=message) as info:
        results.load(tmp_path)
    assert "x.json" in str(info.value)


def test_value_count_mismatch_is_reported(tmp_path):
    name, entry = _alloc([1.0])
    _write(tmp_path, {name: entry})
    with pytest.raises(results.ResultsError, match="1 values for 4 parameter sets"):
        results.load(tmp_path)


def test_ratio_command(tmp_path, capsys):
    name, entry = _alloc([2e-5, 1e-5, 0.2, 2e-5])
    _write(tmp_path, {name: entry})
    assert main(["ratio", "--results", str(tmp_path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["ratio"] == pytest.approx(1e4)
    assert main(["ratio", "--results", str(tmp_path / "none")]) == 1
    assert "no such results directory" in capsys.readouterr().err
    assert main(["ratio", "--results", str(tmp_path), "--of", "numba.empty"]) == 1
    assert "no benchmark" in capsys.readouterr().err


def test_a_result_that_is_not_a_list_is_refused(tmp_path):
    _write(tmp_path, {"bench_x.X.track_y": [7, [], "v"]})
    with pytest.raises(results.ResultsError, match=r"malformed entry for bench_x\.X\.track_y"):
        results.load(tmp_path)


def test_skipped_combinations_are_not_values(tmp_path):
    name, entry = _alloc([2e-5, float("nan"), 0.2, float("nan")])
    _write(tmp_path, {name: entry})
    assert [r.value for r in results.load(tmp_path)] == [2e-5, None, 0.2, None]


def test_results_of_an_older_benchmark_version_are_left_out_as_asv_does(tmp_path):
    name, entry = _alloc([1.0, 2.0, 3.0, 4.0])
    entry[2] = "old-version"
    _write(tmp_path, {name: entry})
    assert len(results.load(tmp_path)) == 4
    current = {name: {"version": "new-version"}, "version": 2}
    (tmp_path / "benchmarks.json").write_text(json.dumps(current))
    assert results.load(tmp_path) == []
    current[name]["version"] = "old-version"
    (tmp_path / "benchmarks.json").write_text(json.dumps(current))
    assert len(results.load(tmp_path)) == 4
