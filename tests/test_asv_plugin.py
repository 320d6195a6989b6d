"""asv's plugin for the suite: plain `asv publish` writes the front page and keeps it, and asv
without a ledger says so in one line."""

import json
import pathlib
import subprocess
import sys
import types

import pytest
from asvtools import run_asv

from allocbench import asv_plugin

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
