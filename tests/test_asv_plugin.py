"""asv's plugin for the suite: plain `asv publish` writes the front page and keeps it, and asv
without a ledger says so in one line."""

import json
import pathlib
import shutil
import subprocess
import sys
import types

import pytest
from asvtools import MACHINE, run_asv

from allocbench import asv_plugin
from allocbench.history import confirmations as store
from allocbench.results.rules import result_filename

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASV = [sys.executable, "-m", "asv"]


def test_asv_conf_names_the_plugin():
    conf = json.loads((ROOT / "asv.conf.json").read_text())
    assert ".allocbench.asv_plugin" in conf["plugins"]


def test_the_command_and_the_config_are_read_from_asvs_arguments():
    argv = ["asv", "--config", "x/asv.conf.json", "run", "--quick", "ALL"]
    assert asv_plugin.command_of(argv) == "run"
    assert asv_plugin.config_path(argv) == pathlib.Path("x/asv.conf.json")
    assert asv_plugin.command_of(["asv", "--verbose", "publish"]) == "publish"
    assert asv_plugin.config_path(["asv", "run"]) == pathlib.Path("asv.conf.json")
    assert asv_plugin.config_path(["asv", "--config=y.json", "run"]) == pathlib.Path("y.json")


@pytest.mark.parametrize("command", ["run", "publish", "show"])
def test_asv_without_a_ledger_says_how_to_build_it_in_one_line(tmp_path, command):
    (tmp_path / "asv.conf.json").write_bytes((ROOT / "asv.conf.json").read_bytes())
    done = subprocess.run([*ASV, command], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, said
    assert "Traceback" not in said and "exit status 128" not in said
    assert said.count("\n") == 0
    assert "no ledger at .asv/ledger" in said and "allocbench ledger" in said


def test_a_command_that_needs_no_repository_is_left_alone(tmp_path):
    (tmp_path / "asv.conf.json").write_bytes((ROOT / "asv.conf.json").read_bytes())
    asv_plugin.check_ledger(["asv", "--config", str(tmp_path / "asv.conf.json"), "machine"])
    with pytest.raises(asv_plugin.UserError, match="no ledger"):
        asv_plugin.check_ledger(["asv", "--config", str(tmp_path / "asv.conf.json"), "run"])


def test_unmeasured_benchmarks_leave_the_index_asv_writes_next():
    benchmarks = {"a.measured": {}, "b.never": {}, "c.never": {}}
    assert asv_plugin.drop_unmeasured(benchmarks, {"a.measured"}) == ["b.never", "c.never"]
    assert list(benchmarks) == ["a.measured"]


def test_no_results_is_a_warning_not_a_failed_publish(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "results").mkdir()
    conf = types.SimpleNamespace(html_dir=str(tmp_path / "html"), repo=str(tmp_path / "none"),
                                 results_dir=str(tmp_path / "results"))  # fmt: skip
    benchmarks = {"a": {}}
    asv_plugin.FrontPage.publish(conf, None, benchmarks, None, None)
    assert not (tmp_path / "html" / "answer.html").exists()
    assert benchmarks == {"a": {}}


@pytest.mark.slow
def test_plain_asv_publish_writes_the_front_page_and_a_second_publish_keeps_it(
    root, quick_run, tmp_path
):
    (_, config, env, _), _ = quick_run
    conf = json.loads(config.read_text())
    conf.update(html_dir=str(tmp_path / "html"))
    mine = tmp_path / "asv.conf.json"
    mine.write_text(json.dumps(conf))
    html = tmp_path / "html"
    for _ in range(2):
        out = run_asv(["publish", "--config", str(mine)], root, env)
        assert "Generating output for FrontPage" in out
        page = (html / "answer.html").read_text()
        assert "Where the slowdown appears" in page
        assert 'id="allocbench-front-page"' in (html / "index.html").read_text()
        assert list((html / "commits").glob("*/index.html"))
        index = json.loads((html / "index.json").read_text())
        graphs = {p.stem for p in (html / "graphs").rglob("*.json")}
        assert index["benchmarks"] and set(index["benchmarks"]) <= graphs


#: The planted step: a figure asv's rules watch (bench_cliff.Cliff., threshold 1%), with no
#: parameters, doubled at the newest release.
PLANTED = "bench_cliff.Cliff.track_numpy_zeros_lazy_from"


def _planted_results(quick_run, tmp_path):
    """A copy of the quick run's results with a step planted at 0.68.1, the quick run's config
    pointed at it; (config path, env, environment name)."""
    (_, config, env, hashes), _ = quick_run
    conf = json.loads(config.read_text())
    results = tmp_path / "results"
    shutil.copytree(conf["results_dir"], results)
    folder = results / MACHINE
    by_commit = {}
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        if path.name != "machine.json":
            by_commit[data["commit_hash"]] = data
    before, after = by_commit[hashes["0.57.1"]], by_commit[hashes["0.68.1"]]
    # 0.48.0 cannot be installed in the quick run: it is given 0.57.1's results, so that asv
    # sees the figure flat over two releases, then the step.
    oldest = dict(before, commit_hash=hashes["0.48.0"])
    (folder / result_filename(hashes["0.48.0"], before["env_name"])).write_text(json.dumps(oldest))
    column = after["result_columns"].index("result")
    values = after["results"][PLANTED][column]
    assert values and all(isinstance(v, (int, float)) for v in values), values
    after["results"][PLANTED][column] = [2 * v for v in values]
    (folder / result_filename(hashes["0.68.1"], after["env_name"])).write_text(json.dumps(after))
    conf.update(results_dir=str(results), html_dir=str(tmp_path / "html"))
    mine = tmp_path / "asv.conf.json"
    mine.write_text(json.dumps(conf))
    return mine, env, after["env_name"]


def _published(root, config, env, html):
    run_asv(["publish", "--config", str(config)], root, env)
    listed = json.loads((html / "regressions.json").read_text())["regressions"]
    left_out = json.loads((html / "regressions-unconfirmed.json").read_text())
    feed = (html / "regressions.xml").read_text()
    return [row[0] for row in listed], [d["name"] for d in left_out], feed


@pytest.mark.slow
def test_plain_asv_publish_lists_only_confirmed_regressions(root, quick_run, tmp_path):
    config, env, env_name = _planted_results(quick_run, tmp_path)
    html = tmp_path / "html"
    listed, left_out, feed = _published(root, config, env, html)
    assert PLANTED in left_out and listed == []
    assert PLANTED not in feed

    # The same step, confirmed in fresh processes of both releases: asv's list keeps it.
    store.write_confirmation(
        store.Places(tmp_path / "results"),
        store.pair_key(MACHINE, env_name, "0.57.1", "0.68.1"),
        {"machine": MACHINE, "env": env_name, "before": "0.57.1", "after": "0.68.1",
         "rounds": 5, "seconds": 1.0, "when": "2026-01-01T00:00:00+00:00", "anatomy": {},
         "figures": {PLANTED: {"verdict": "confirmed", "estimate": 2.0, "low": 1.9,
                               "high": 2.1, "p": 0.008, "before_median": 1.0,
                               "after_median": 2.0, "recorded": [1.0, 2.0]}}},
    )  # fmt: skip
    listed, left_out, feed = _published(root, config, env, html)
    assert listed == [PLANTED] and PLANTED not in left_out
    assert PLANTED in feed
