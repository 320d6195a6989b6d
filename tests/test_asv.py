"""The suite under the real asv: `asv check`, then a real quick run in a real virtualenv.

The run builds one virtualenv with the newest environment of asv.conf.json (numba and numpy
from wheels, the package built with --no-deps), runs a few benchmarks, reads the results
JSON back, and publishes the site.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from allocbench import results
from allocbench.sizes import MiB

ASV = [sys.executable, "-m", "asv"]


def _asv(args, cwd, env=None, timeout=900):
    done = subprocess.run(
        ASV + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"asv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_asv_check_finds_no_problems(root):
    out = _asv(["check", "--config", str(root / "asv.conf.json"), "-E", "existing:same"], root)
    assert "No problems found" in out


def test_config_is_explicit(root):
    conf = json.loads((root / "asv.conf.json").read_text())
    assert conf["branches"] == ["main"]
    assert conf["environment_type"] == "virtualenv"
    assert all(conf[k].startswith(".asv/") for k in ("env_dir", "results_dir", "html_dir"))
    assert all("--no-deps" in cmd for cmd in conf["build_command"] + conf["install_command"])
    pins = {(e["req"]["numba"], e["req"]["numpy"]) for e in conf["include"]}
    assert ("0.57.1", "1.24.4") in pins and len(pins) >= 2


def _result_table(entry, columns):
    """{param tuple: value} from one benchmark's row of an asv results file."""
    import itertools

    row = dict(zip(columns, entry))
    keys = itertools.product(*row["params"])
    return dict(zip(keys, row["result"]))


@pytest.fixture(scope="module")
def quick_run(root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("asv")
    conf = json.loads((root / "asv.conf.json").read_text())
    conf.update(
        repo=str(root),
        benchmark_dir=str(root / "benchmarks"),
        env_dir=str(tmp / "env"),
        results_dir=str(tmp / "results"),
        html_dir=str(tmp / "html"),
        include=conf["include"][:1],
    )
    config = tmp / "asv.conf.json"
    config.write_text(json.dumps(conf))
    env = dict(os.environ, HOME=str(tmp), PIP_ONLY_BINARY="numba,numpy,llvmlite")
    env.setdefault("PIP_CACHE_DIR", str(pathlib.Path.home() / ".cache" / "pip"))
    _asv(["machine", "--yes", "--machine", "testbox", "--config", str(config)], tmp, env)
    bench = r"^bench_seed\.SeedPlot|^bench_memory\.ResidentMemory|^bench_alloc\.Alloc\."
    _asv(["run", "--quick", "--machine", "testbox", "--config", str(config), "-b", bench,
          "HEAD^!"], tmp, env)  # fmt: skip
    return tmp, config, env


def test_quick_run_results_read_back(quick_run):
    tmp, _, _ = quick_run
    files = [p for p in (tmp / "results" / "testbox").glob("*.json") if p.name != "machine.json"]
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["params"]["numba"] == "0.68.1"
    results, columns = data["results"], data["result_columns"]

    seed = {
        name: _result_table(results[f"bench_seed.SeedPlot.{name}"], columns)
        for name in ("time_numpy_zeros", "time_numba_zeros", "time_numba_loop")
    }
    for table in seed.values():
        assert len(table) == 6 and all(v is not None and v > 0 for v in table.values())
    # Far above 32 MiB, numba zeroes every page; numpy's calloc does not touch them.
    assert seed["time_numba_zeros"][("4100",)] > 10 * seed["time_numpy_zeros"][("4100",)]

    rss = _result_table(results["bench_memory.ResidentMemory.track_resident_added"], columns)
    size = str(256 * MiB)
    assert rss[("'numba.zeros'", size)] >= 250 * MiB
    assert rss[("'numpy.zeros'", size)] <= 1 * MiB
    assert rss[("'numpy.empty'", size)] <= 1 * MiB


def test_quick_run_ratio_from_results(quick_run):
    tmp, _, _ = quick_run
    rows = results.ratios(results.load(tmp / "results"), "numba.zeros", "numpy.zeros", 256 * MiB)
    (row,) = [r for r in rows if r["benchmark"] == "bench_alloc.Alloc.time_alloc"]
    # One sample each in quick mode, so only the order of magnitude is checked here.
    assert row["ratio"] > 10


def test_quick_run_publishes(quick_run):
    tmp, config, env = quick_run
    _asv(["publish", "--config", str(config)], tmp, env)
    html = tmp / "html"
    assert (html / "index.html").exists()
    graphs = list((html / "graphs").rglob("bench_seed.SeedPlot.time_numba_zeros.json"))
    assert graphs
