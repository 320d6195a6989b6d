"""The suite under the real asv, on a real ledger: check, run, compare, publish.

A ledger of three releases is built in a temporary directory; one virtualenv (Python 3.11,
numpy 1.24.4, as in asv.conf.json) runs a few benchmarks over all three. numba 0.48.0 has no
wheel for Python 3.11, so its install fails at once and the run goes on to the others.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from allocbench import history, interpreters, ledger, releases

ASV = [sys.executable, "-m", "asv"]
ENV = ("3.11", "1.24.4")
RELEASES = ("0.48.0", "0.57.1", "0.68.1")
BENCH = [r"^bench_seed\.SeedPlot", r"^bench_memory\.ResidentMemory\.track_resident_added\("
         r"'(numba|numpy)\.zeros', 268435456\)"]  # fmt: skip


def _asv(args, cwd, env, timeout=900, ok=(0,)):
    done = subprocess.run(
        ASV + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode in ok, f"asv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def asv_home(root, tmp_path_factory):
    """A config like the repository's, pointed at a small ledger in a temporary directory."""
    tmp = tmp_path_factory.mktemp("asv")
    table = [releases.find(releases.load(), v) for v in RELEASES]
    hashes = ledger.build(table, tmp / "ledger")
    conf = history.load_config(root)
    conf.update(
        repo=str(tmp / "ledger"),
        benchmark_dir=str(root / "benchmarks"),
        env_dir=str(tmp / "env"),
        results_dir=str(tmp / "results"),
        html_dir=str(tmp / "html"),
        include=[e for e in conf["include"] if (e["python"], e["req"]["numpy"]) == ENV],
        # asv runs from the config's folder, so {conf_dir} would be the temporary one.
        install_command=[c.replace("{conf_dir}", str(root)) for c in conf["install_command"]],
    )
    assert len(conf["include"]) == 1
    config = tmp / "asv.conf.json"
    config.write_text(json.dumps(conf))
    found = interpreters.expose([ENV[0]], tmp / "bin")
    if found[ENV[0]] is None:
        pytest.skip(f"no Python {ENV[0]} on this machine")
    env = dict(os.environ, HOME=str(tmp), PATH=interpreters.path_with(tmp / "bin"))
    env["PIP_ONLY_BINARY"] = "numba,numpy,llvmlite"
    env.setdefault("PIP_CACHE_DIR", str(pathlib.Path.home() / ".cache" / "pip"))
    _asv(["machine", "--yes", "--machine", "testbox", "--config", str(config)], root, env)
    return tmp, config, env, dict(zip(RELEASES, hashes))


def test_asv_check_finds_no_problems(root, asv_home):
    _, config, env, _ = asv_home
    out = _asv(["check", "--config", str(config), "-E", "existing:same"], root, env)
    assert "No problems found" in out


@pytest.fixture(scope="module")
def quick_run(root, asv_home):
    _tmp, config, env, _hashes = asv_home
    args = ["run", "--quick", "--machine", "testbox", "--config", str(config), "ALL"]
    for regex in BENCH:
        args += ["--bench", regex]
    # asv exits 2 because 0.48.0 could not be installed: that is the point.
    out = _asv(args, root, env, ok=(0, 2))
    return asv_home, out


def _results(tmp, commit):
    (path,) = (tmp / "results" / "testbox").glob(f"{commit[:8]}-*.json")
    data = json.loads(path.read_text())
    return data, data["result_columns"]


def _table(entry, columns):
    import itertools

    row = dict(zip(columns, entry))
    return dict(zip(itertools.product(*row["params"]), row["result"] or []))


def test_each_release_runs_in_its_own_commit(quick_run):
    (tmp, _, _, hashes), out = quick_run
    assert "numba 0.48.0 cannot run here" in out or "0.48.0" in out
    for version in ("0.57.1", "0.68.1"):
        data, columns = _results(tmp, hashes[version])
        assert data["env_name"] == history.Environment(*ENV).name
        assert data["params"]["numpy"] == ENV[1]
        seed = _table(data["results"]["bench_seed.SeedPlot.time_numba_zeros"], columns)
        numpy = _table(data["results"]["bench_seed.SeedPlot.time_numpy_zeros"], columns)
        assert all(v is not None and v > 0 for v in seed.values())
        # Far above 32 MiB numba zeroes every page, numpy's calloc does not touch them.
        assert seed[("4100",)] > 10 * numpy[("4100",)]
        rss = _table(data["results"]["bench_memory.ResidentMemory.track_resident_added"], columns)
        assert rss[("'numba.zeros'", "268435456")] >= 250 * 2**20
        assert rss[("'numpy.zeros'", "268435456")] <= 2**20


def test_an_impossible_release_is_recorded_as_not_run(quick_run):
    (tmp, _, _, hashes), _ = quick_run
    files = list((tmp / "results" / "testbox").glob(f"{hashes['0.48.0'][:8]}-*.json"))
    for path in files:  # asv may record the skipped commit; it holds no value
        data = json.loads(path.read_text())
        columns = data["result_columns"]
        for entry in data["results"].values():
            assert all(v is None for v in (_table(entry, columns) or {None: None}).values())


def test_compare_by_release_tags(root, quick_run):
    (_, config, env, _), _ = quick_run
    out = _asv(["compare", "--machine", "testbox", "--config", str(config), "0.57.1", "0.68.1"],
               root, env)  # fmt: skip
    assert "bench_seed.SeedPlot.time_numba_zeros(4100)" in out


def test_publish_shows_releases_as_tagged_points_in_time(root, quick_run):
    (tmp, config, env, _hashes), _ = quick_run
    _asv(["publish", "--config", str(config)], root, env)
    html = tmp / "html"
    index = json.loads((html / "index.json").read_text())
    assert set(index["tags"]) == set(RELEASES)
    revisions = {index["tags"][v]: v for v in RELEASES}
    (graph,) = list(
        (html / "graphs").glob(
            "branch-main/machine-testbox/numpy-1.24.4/python-3.11/"
            "bench_seed.SeedPlot.time_numba_zeros.json"
        )
    )
    points = json.loads(graph.read_text())
    assert {revisions[p[0]] for p in points if p[1][0] is not None} == {"0.57.1", "0.68.1"}
    dates = {v: index["revision_to_date"][str(r)] for r, v in revisions.items()}
    assert dates["0.48.0"] < dates["0.57.1"] < dates["0.68.1"]
    assert dates["0.57.1"] == 1687369315000  # 2023-06-21T17:41:55Z, in ms
