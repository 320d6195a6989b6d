"""Confirmation: the runner, fresh processes side by side, verdicts, the store, the report.

A planted difference (two "releases" whose folders give a test benchmark different values)
must come out confirmed; a planted step in asv's values that the fresh processes do not see
must come out "not confirmed (noise)"; a damaged store and missing results are one line.
"""

import json
import os
import pathlib
import sys

import pytest

from allocbench.cli import main
from allocbench.harness import figure as runner
from allocbench.history import confirmations as store
from allocbench.history import sidebyside
from allocbench.history.environments import Environment
from allocbench.history.releases import load as load_table
from allocbench.report import confirm, verdicts
from allocbench.report.candidates import Figure
from allocbench.report.findings import Text
from allocbench.report.render_markdown import lines
from allocbench.report.runs import Run
from allocbench.report.sections.steps import release_steps

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"

BENCH = """
import os, random
import planted


class Planted:
    params = (["a", "b"],)
    param_names = ("which",)

    def setup(self, which):
        if which == "b" and os.environ.get("PLANTED_NA"):
            raise NotImplementedError("too noisy here (planted)")

    def track_value(self, which):
        return planted.VALUE * (1 + random.uniform(-0.02, 0.02))

    def time_value(self, which):
        pass
"""

NAME_A = "bench_planted.Planted.track_value('a')"
NAME_B = "bench_planted.Planted.track_value('b')"


@pytest.fixture
def side_by_side(tmp_path):
    """A Setting over this interpreter, two 'release' folders giving 1.0 and 2.0."""
    root = tmp_path / "root"
    (root / "benchmarks").mkdir(parents=True)
    (root / "benchmarks" / "__init__.py").write_text("")
    (root / "benchmarks" / "bench_planted.py").write_text(BENCH)
    os.symlink(SRC, root / "src")
    folders = []
    for name, value in (("0.57.1", 1.0), ("0.68.1", 2.0)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "planted.py").write_text(f"VALUE = {value}\n")
        folders.append(folder)
    env = Environment("3.11", "1.24.4")
    where = sidebyside.Setting(root, env, pathlib.Path(sys.executable), {},
                               store.Places(tmp_path / "results"))  # fmt: skip
    return where, tuple(folders)


def test_parse_name_reads_asv_names():
    got = runner.parse_name("bench_ratio.OverControl.track_over_control('numba.zeros', '256 MiB')")
    assert got == ("bench_ratio", "OverControl", "track_over_control", ("numba.zeros", "256 MiB"))
    assert runner.parse_name("bench_x.C.track_y('a')")[3] == ("a",)
    with pytest.raises(ValueError):
        runner.parse_name("not a name")


def test_order_alternates():
    assert sidebyside.order(3) == [0, 1, 1, 0, 0, 1]


def _table():
    table = {r.numba: r for r in load_table()}
    return table["0.57.1"], table["0.68.1"]


def _figure(name, recorded=(1.0, 2.0)):
    before, after = _table()
    return Figure("vm", "env", before, after, name, recorded, "asv")


def test_a_real_difference_is_confirmed_and_a_planted_step_is_noise(side_by_side):
    where, folders = side_by_side
    timed = "bench_planted.Planted.time_value('a')"
    outputs = sidebyside.alternate(where, folders, [NAME_A, timed], rounds=5)
    assert [len(o) for o in outputs] == [5, 5]
    assert outputs[0][0]["figures"][timed] == {"na": "only track_ benchmarks are measured here"}
    real = confirm.judge(_figure(NAME_A), outputs)
    assert real["verdict"] == confirm.CONFIRMED
    assert real["p"] == pytest.approx(2 / 252)
    assert 1.9 < real["estimate"] < 2.1 and real["low"] > 1
    # asv recorded a 2x step, but both "releases" give the same value in fresh processes.
    same = (outputs[0], [dict(o, figures=o["figures"]) for o in outputs[0]])
    planted = confirm.judge(_figure(NAME_A, (1.0, 2.0)), same)
    assert planted["verdict"] == confirm.NOISE


def test_na_in_a_process_makes_the_figure_na(side_by_side, monkeypatch):
    where, folders = side_by_side
    monkeypatch.setitem(where.variables, "PLANTED_NA", "1")
    outputs = sidebyside.alternate(where, folders, [NAME_B], rounds=2)
    got = confirm.judge(_figure(NAME_B), outputs)
    assert got["verdict"] == confirm.NA
    assert "too noisy here (planted)" in got["reason"]


def test_verdict_needs_the_threshold_and_the_interval():
    assert confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [1.3, 1.31, 1.29, 1.3, 1.32],
                           0.2)["verdict"] == confirm.CONFIRMED  # fmt: skip
    # Apart but by 10%: below bench_ratio's 20% threshold.
    assert confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [1.1, 1.11, 1.09, 1.1, 1.12],
                           0.2)["verdict"] == confirm.NOISE  # fmt: skip
    assert confirm.verdict([1.0, 1.2, 0.9, 1.1, 1.0], [1.0, 1.3, 0.8, 1.2, 0.9],
                           0.0)["verdict"] == confirm.NOISE  # fmt: skip
    assert confirm.threshold_of("bench_ratio.OverControl.track_over_control('numba.zeros', "
                                "'256 MiB')") == 0.2  # fmt: skip


def _runs():
    before, after = _table()
    runs = []
    for release, value in ((before, 1.0), (after, 2.0)):
        run = Run("vm", "env", release.numba, release)
        run.values[("bench_ratio.OverControl.track_over_control", ("numba.zeros", 2**28))] = value
        run.values[("bench_ratio.OverControl.track_over_control", ("numba.ones", 2**28))] = value
        runs.append(run)
    return runs


ZEROS = "bench_ratio.OverControl.track_over_control('numba.zeros', '256 MiB')"
ONES = "bench_ratio.OverControl.track_over_control('numba.ones', '256 MiB')"


def _said(checks):
    return "\n".join(lines(release_steps(_runs(), checks)))


def test_the_report_names_no_step_that_was_not_checked():
    said = _said(verdicts.Checks())
    assert "Not checked" in said and "numba.zeros at 256 MiB" in said
    assert "changed a compiled path" not in said


def test_the_report_names_confirmed_steps_and_lists_noise(tmp_path):
    ok = dict(confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [2.0, 2.01, 1.99, 2.0, 2.02], 0.2),
              recorded=[1.0, 2.0])  # fmt: skip
    noise = dict(confirm.verdict([1.0, 1.01, 0.99, 1.0, 1.02], [1.0, 1.0, 1.01, 0.99, 1.02], 0.2),
                 recorded=[1.0, 2.0])  # fmt: skip
    entry = {"machine": "vm", "env": "env", "before": "0.57.1", "after": "0.68.1", "rounds": 5,
             "figures": {ZEROS: ok, ONES: noise}, "anatomy": {}}  # fmt: skip
    places = store.Places(tmp_path / "results")
    store.write_confirmation(places, store.pair_key("vm", "env", "0.57.1", "0.68.1"), entry)
    said = _said(verdicts.load(places.results))
    assert "**numba 0.68.1** (env, vm) changed" in said
    assert "numba.zeros at 256 MiB 1 -> 2, 2x" in said and "what moved: not measured" in said
    assert "Not confirmed (noise):** numba 0.57.1 -> 0.68.1" in said and "numba.ones" in said
    # Results changed since: the confirmation no longer counts.
    entry["figures"][ZEROS]["recorded"] = [1.0, 3.0]
    store.write_confirmation(places, store.pair_key("vm", "env", "0.57.1", "0.68.1"), entry)
    assert "changed a compiled path" not in _said(verdicts.load(places.results))
    # A floor wider than the change hides it.
    floor = {"numba": "0.68.1", "processes": 5,
             "figures": {ZEROS: {"spread": 1.5}}}  # fmt: skip
    entry["figures"][ZEROS]["recorded"] = [1.0, 2.0]
    store.write_confirmation(places, store.pair_key("vm", "env", "0.57.1", "0.68.1"), entry)
    store.write_floor(places, store.series_key("vm", "env"), floor)
    said = _said(verdicts.load(places.results))
    assert "Below the floor" in said and "changed a compiled path" not in said
    assert "OverControl numba.zeros 150.0%" in said


def test_a_damaged_store_is_one_line(tmp_path, capsys):
    places = store.Places(tmp_path / "results")
    places.confirmations.write_text("{not json")
    with pytest.raises(store.StoreError, match="damaged confirmations file"):
        store.read_confirmations(places)
    checks = verdicts.load(places.results)
    assert checks.confirmations == {}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged confirmations file" in err
    places.floor.write_text(json.dumps({"format": 99}))
    with pytest.raises(store.StoreError, match="not format 1"):
        store.read_floor(places)


def test_confirm_without_results_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(pathlib.Path(__file__).resolve().parents[1])
    assert main(["confirm", "--results", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("allocbench confirm: ")
    assert main(["floor", "--results", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.startswith("allocbench floor: ")


def test_anatomy_names_the_part_that_moved():
    moved = confirm.verdict([2.4e-7] * 4 + [2.41e-7], [6.3e-7] * 4 + [6.31e-7], 0.1)
    entry = {"anatomy": {"65536": {"box": moved, "call": {"verdict": "not confirmed (noise)"}}}}
    part = verdicts.what_moved(entry, 65536)
    assert part["part"] == "box"
    assert verdicts.what_moved(entry, 4096) is None
    assert isinstance(Text.of("x"), Text)


def test_the_anatomy_is_measured_at_the_sizes_of_path_and_in_loop_steps():
    from allocbench.catalog import Bench
    from allocbench.history import releases
    from allocbench.report.candidates import Figure
    from allocbench.report.confirm import anatomy_sizes

    table = releases.load()
    before, after = releases.find(table, "0.56.4"), releases.find(table, "0.57.0")

    def figure(name):
        return Figure("vm", "env", before, after, name, (1.0, 2.0), "report")

    found = anatomy_sizes([figure(f"{Bench.IN_LOOP}('numba.zeros', '8 B')"),
                           figure(f"{Bench.OVER_CONTROL}('numba.zeros', '64 KiB')"),
                           figure(f"{Bench.PAGES_FAULTED}('numba.zeros', '16 MiB')")])  # fmt: skip
    assert found == [8, 64 * 1024]


def test_a_part_is_judged_over_the_processes_that_measured_it():
    from allocbench.report.confirm import judge_anatomy

    def outputs(values):
        return [{"anatomy": {"8": {"alloc": v, "fill": {"na": "too noisy"}}}} for v in values]

    before = outputs([52e-9, 53e-9, 51e-9, None, 52.5e-9])
    after = outputs([17e-9, 17.5e-9, 16.8e-9, 17.2e-9, 16.9e-9])
    found = judge_anatomy((before, after), [8])["8"]
    assert found["alloc"]["verdict"] == "confirmed" and len(found["alloc"]["before"]) == 4
    assert found["fill"]["verdict"] == "n/a"
    assert "measured in 0 and 0 of the fresh processes" in found["fill"]["reason"]
    sparse = outputs([52e-9, None, None, None, 53e-9])
    assert judge_anatomy((sparse, after), [8])["8"]["alloc"]["verdict"] == "n/a"


def test_an_in_loop_step_is_explained_by_the_parts_a_loop_has():
    from allocbench.report.sections.steps import IN_LOOP_PARTS, _moved

    def moved(before, after):
        return {"verdict": "confirmed", "estimate": after / before, "p": 0.008,
                "before_median": before * 1e-9, "after_median": after * 1e-9}  # fmt: skip

    entry = {"anatomy": {"8": {"unbox": moved(62, 20), "alloc": moved(52, 17),
                               "call": moved(158, 95)}}}  # fmt: skip
    assert _moved(entry, 8).startswith("what moved: unboxing")
    assert _moved(entry, 8, IN_LOOP_PARTS) == "what moved: the allocation, 52 -> 17 ns, p=0.008"


def test_the_pairs_with_the_largest_steps_are_confirmed_first():
    from allocbench.report.candidates import by_pair, step_size

    table = {r.numba: r for r in load_table()}

    def figure(before, after, values, name="f", source="asv"):
        return Figure("m", "e", table[before], table[after], name, values, source)

    small = figure("0.55.2", "0.56.0", (1.0, 1.25))  # 1.25x
    large = figure("0.56.4", "0.57.0", (24.0, 11.0), name="g", source="report")  # 0.46x
    middle = figure("0.53.1", "0.54.0", (1.0, 0.6))  # 0.6x
    bad = figure("0.50.0", "0.50.1", (float("nan"), 1.0))
    pairs = list(by_pair([small, bad, middle, large]))
    assert [p[2] for p in pairs] == ["0.56.4", "0.53.1", "0.55.2", "0.50.0"]
    assert step_size(bad) == 0.0
    assert step_size(large) == pytest.approx(step_size(figure("0.57.0", "0.56.4", (11.0, 24.0))))
