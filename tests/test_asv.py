"""The suite under the real asv, on a real ledger: check, run, compare, publish.

A ledger of three releases is built in a temporary directory; one virtualenv (Python 3.11,
numpy 1.24.4, as in asv.conf.json) runs a few benchmarks over all three. numba 0.48.0 has no
wheel for Python 3.11, so its install fails at once and the run goes on to the others.
"""

import json

import pytest
from asvtools import ENV, RELEASES
from asvtools import run_asv as _asv

from allocbench.history import environments

pytestmark = pytest.mark.slow

# asv_home and quick_run, the real asv run these tests read, are in conftest.py: the merge and
# browser tests share them.


def test_asv_check_finds_no_problems(root, asv_home):
    _, config, env, _ = asv_home
    out = _asv(["check", "--config", str(config), "-E", "existing:same"], root, env)
    assert "No problems found" in out


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
    # The install step refuses 0.48.0 (no wheel for Python 3.11) and asv shows why.
    assert "numba 0.48.0 cannot run here: it has wheels for Python" in out
    for version in ("0.57.1", "0.68.1"):
        data, columns = _results(tmp, hashes[version])
        assert data["env_name"] == environments.Environment(*ENV).name
        assert data["params"]["numpy"] == ENV[1]
        seed = _table(data["results"]["bench_seed.SeedPlot.time_numba_zeros"], columns)
        numpy = _table(data["results"]["bench_seed.SeedPlot.time_numpy_zeros"], columns)
        assert all(v is not None and v > 0 for v in seed.values())
        # Far above 32 MiB numba zeroes every page, numpy's calloc does not touch them.
        assert seed[("4100",)] > 10 * numpy[("4100",)]
        rss = _table(data["results"]["bench_memory.ResidentMemory.track_resident_added"], columns)
        assert rss[("'numba.zeros'", "'256 MiB'")] >= 250 * 2**20
        assert rss[("'numpy.zeros'", "'256 MiB'")] <= 2**20


def test_an_impossible_release_is_recorded_as_not_run(quick_run):
    (tmp, _, _, hashes), _ = quick_run
    # asv records the commit it could not install: every benchmark the others ran, no value.
    files = list((tmp / "results" / "testbox").glob(f"{hashes['0.48.0'][:8]}-*.json"))
    assert len(files) == 1, f"no results file of 0.48.0: {files}"
    data, columns = _results(tmp, hashes["0.48.0"])
    ran, _ = _results(tmp, hashes["0.57.1"])
    assert data["env_name"] == ran["env_name"] and set(data["results"]) == set(ran["results"])
    for entry in data["results"].values():
        assert all(v is None for v in _table(entry, columns).values())


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
