"""The history's selection and asv.conf.json's regression rules are built from the catalog's
names: checked by asv's own matching over the benchmarks asv discovers in benchmarks/, against
what each pick names, against the hand-written regexes they replaced, and against
asv.conf.json and the weekly workflow (allocbench.history.check_config)."""

import copy
import itertools
import json
import re
import shutil
import subprocess
import sys

import pytest

from allocbench.catalog import (
    HEADLINE_PATHS,
    HISTORY_SIZES,
    SWITCHED_PATHS,
    USE_HISTORY_SIZES,
    WRITE_PATHS,
    Bench,
    Classes,
    Modules,
    size_labels,
)
from allocbench.history import check_config, environments, releases, selection
from allocbench.history.selection import Pick, pick, regex


@pytest.fixture(scope="module")
def discovered(root):
    return check_config.discover(root)


@pytest.fixture(scope="module")
def envs(root):
    return environments.environments(environments.load_config(root))


def _meant(chosen, benchmarks):
    """The names `chosen` picks among `benchmarks`, read from its fields without a regex."""
    cls, found = chosen.bench_class, []
    for bench in benchmarks:
        name = bench["name"]
        if cls is None:
            hit = name.startswith(f"{chosen.target}.")
        elif chosen.bench_id:
            hit = name == chosen.bench_id
        else:
            hit = name.startswith(f"{cls.id}.") and name not in chosen.but
        if not hit:
            continue
        if not bench["params"]:
            found.append(name)
            continue
        for combination in itertools.product(*bench["params"]):
            values = dict(zip(bench["param_names"], combination))
            if all(values[n] in map(repr, vs) for n, vs in chosen.where) and not any(
                values[n] in map(repr, vs) for n, vs in chosen.unless
            ):
                found.append(f"{name}({', '.join(combination)})")
    return found


def _every_pick():
    picks = {p for picks in selection.SELECTIONS.values() for p in picks}
    watched = [p for p, _ in check_config.WATCHED]
    return sorted({*picks, *watched, *check_config.unwatched(watched)}, key=str)


def test_the_catalog_names_every_benchmark_asv_discovers_and_each_value_the_history_names(
    discovered,
):
    assert check_config.catalog_disagreements(discovered) == []


def test_no_parameter_holds_the_comma_that_separates_them(discovered):
    """selection's _VALUE, one parameter in a name, relies on it."""
    assert not [v for b in discovered for values in b["params"] for v in values if "," in v]


@pytest.mark.parametrize("chosen", _every_pick(), ids=str)
def test_each_pick_selects_what_it_names_by_asvs_matching(discovered, chosen):
    meant = _meant(chosen, discovered)
    assert meant, f"{chosen} picks nothing"
    assert sorted(check_config.selected(discovered, [regex(chosen)])) == sorted(meant)
    # As a regression rule, asv matches the name followed by '@' and the branch.
    end = check_config.RULE_END
    ruled = [n for n in check_config.names(discovered) if re.match(regex(chosen, end), n + "@main")]
    assert sorted(ruled) == sorted(meant)


def test_a_pick_names_only_what_the_catalog_has():
    with pytest.raises(ValueError, match="no module, class or benchmark id"):
        regex(pick("bench_alloc.Nothing"))
    with pytest.raises(ValueError, match="parameters"):
        regex(pick(Bench.ALLOC, dtype=["float32"]))
    with pytest.raises(ValueError, match="whole module"):
        regex(pick(Modules.ALLOC, path=["numba.zeros"]))
    with pytest.raises(ValueError, match="another class"):
        regex(pick(Classes.ALLOC, but=[Bench.WRITE]))


def test_the_watched_and_the_skipped_figures_are_every_figure_once(discovered):
    watched = [p for p, _ in check_config.WATCHED]
    flagged = {n for p in watched for n in _meant(p, discovered)}
    skipped = {n for p in check_config.unwatched(watched) for n in _meant(p, discovered)}
    assert flagged and not flagged & skipped
    assert flagged | skipped == set(check_config.names(discovered))


def test_asv_conf_and_the_workflow_agree_with_the_catalog(root, discovered):
    assert check_config.disagreements(root, discovered) == []


def test_a_regression_rule_that_differs_is_found(root, discovered):
    conf = environments.load_config(root)
    changed = copy.deepcopy(conf)
    del changed["regressions_first_commits"][next(k for k in changed["regressions_first_commits"]
                                                  if k.startswith("bench_compile"))]  # fmt: skip
    found = check_config.regression_disagreements(changed, discovered)
    assert found and all(f.startswith("bench_compile.") for f in found)
    assert any("@candidates: asv.conf.json flags it over 0.05 after main, the catalog never" in f
               for f in found)  # fmt: skip
    changed = copy.deepcopy(conf)
    changed["regressions_thresholds"] = {k: 0.3 for k in conf["regressions_thresholds"]}
    found = check_config.regression_disagreements(changed, discovered)
    assert any(f.startswith("bench_ratio.") and "over 0.3" in f for f in found)


def test_the_rules_as_derived_are_what_asv_conf_does(root, discovered):
    """asv.conf.json could be replaced by the derived rules (`--print`) without a change."""
    first, thresholds = check_config.regression_rules()
    conf = dict(environments.load_config(root), regressions_first_commits=first,
                regressions_thresholds=thresholds)  # fmt: skip
    assert check_config.regression_disagreements(conf, discovered) == []
    assert first[".*@candidates$"] == "main"


# The hand-written regexes of src/allocbench/history/selection.py at commit 201c76b, before the
# selection was built from the catalog's names: the literal regexes as they were written (their
# alternations read the same catalog groups and grids as then). asv's matching selects the same
# benchmarks and parameters with them as with the selection now.
def _alternatives(params):
    return "|".join(re.escape(repr(p)) for p in params)


def _old_history():
    paths, writers = _alternatives(HEADLINE_PATHS), _alternatives(WRITE_PATHS)
    sizes = _alternatives(size_labels(HISTORY_SIZES))
    return [
        rf"^bench_alloc\.Alloc\.time_alloc\(({paths}), ({sizes})\)$",
        rf"^bench_alloc\.AllocAndWrite\.time_alloc_and_write\(({writers}), "
        rf"({_alternatives(size_labels(USE_HISTORY_SIZES))})\)$",
        r"^bench_seed\.Seed(Question|Plot)\.",
        r"^bench_cliff\.",
        r"^bench_machine\.",
        r"^bench_explain\.",
        rf"^bench_memory\.PageFaults\.track_pages_faulted_alloc\(({paths}), ({sizes})\)$",
        # changed since: the faults per call at 256 MiB only, every release (the grid, once)
        rf"^bench_memory\.PageFaults\.track_faults_alloc\(({paths}), '256 MiB'\)$",
        r"^bench_ratio\.",
        r"^bench_threads\.ThreadScaling\.\w+\('numba\.zeros', ",
        r"^bench_inloop\.",
        r"^bench_anatomy\.",
        r"^bench_compile\.ImportTime\.timeraw_import_numba$",
        r"^bench_compile\.FirstCall\.\w+\('numba\.zeros'\)$",
    ]


def _old_once():
    paths = _alternatives(HEADLINE_PATHS)
    sizes = _alternatives(size_labels(HISTORY_SIZES[:-1]))  # but 256 MiB
    return [
        rf"^bench_memory\.PageFaults\.track_faults_alloc\(({paths}), ({sizes})\)$",
        r"^bench_fix\.Fix",
        r"^bench_seed\.SeedSweep\.",
        r"^bench_alloc\.HugePageAdvice\.",
        rf"^bench_memory\.ResidentMemory\.\w+\(({paths}), ",
        r"^bench_fresh\.",
        r"^bench_threads\.ThreadedAlloc\.",
        r"^bench_threads\.ThreadScaling\.\w+\('(?!numba\.zeros')",
        r"^bench_compile\.ImportTime\.timeraw_import_numpy$",
        r"^bench_compile\.FirstCall\.\w+\('(?!numba\.zeros')",
    ]


def _old_switch():
    return [r for r in _old_history() if r.startswith((r"^bench_alloc", r"^bench_memory"))] + [
        rf"^bench_ratio\.OverControl\.\w+\(({_alternatives(SWITCHED_PATHS)}), ",
        r"^bench_explain\.",
        r"^bench_machine\.",
    ]


def _old_allocator():
    kept = (r"^bench_alloc", r"^bench_memory", r"^bench_cliff", r"^bench_machine")
    return [r for r in _old_history() if r.startswith(kept)] + [r"^bench_fix\."]


def _old_tunables():
    return [_old_history()[0], r"^bench_cliff\.", r"^bench_machine\."]


_OLD = {
    "history": _old_history,
    "once": _old_once,
    "switched": _old_switch,
    "fixed-newest": lambda: [r"^bench_fix\.NumbaZerosOverNumpy\."],
    "under-allocator": _old_allocator,
    "under-tunables": _old_tunables,
}


@pytest.mark.parametrize("name", sorted(selection.SELECTIONS))
def test_the_selection_is_what_the_hand_written_regexes_selected(discovered, name):
    new = check_config.selected(discovered, selection.regexes(selection.SELECTIONS[name]))
    old = check_config.selected(discovered, _OLD[name]())
    assert new == old
    assert new and len(new) == len(set(new))


def test_every_environment_runs_what_it_ran_before(discovered, envs):
    table = releases.load()
    planned = selection.plan(selection.choose(table, None), envs)
    once = selection.once_environment(planned)
    for env in envs:
        old = (_old_allocator() if env.allocator else _old_tunables() if env.tunables
               else _old_switch() if env.switch or env.build else _old_history())  # fmt: skip
        assert check_config.selected(discovered, selection.selection_for(env)) == (
            check_config.selected(discovered, old)
        ), env.name
        newest = selection.newest_benchmarks(env, once)
        was = (
            _old_once()
            if env == once
            else _OLD["fixed-newest"]()
            if env.switch or env.build
            else []
        )
        assert check_config.selected(discovered, newest) == check_config.selected(discovered, was)


def test_history_and_once_share_nothing(discovered):
    history = check_config.selected(discovered, selection.regexes(selection.HISTORY))
    once = check_config.selected(discovered, selection.regexes(selection.ONCE))
    assert history and once and not set(history) & set(once)


def test_a_pick_is_a_pick_of_its_target():
    chosen = pick(Bench.PAGES_FAULTED, path=["numba.zeros"])
    assert chosen == Pick(Bench.PAGES_FAULTED, (("path", ("numba.zeros",)),))
    assert chosen.bench_class == Classes.PAGE_FAULTS and chosen.module == Modules.MEMORY
    assert pick(Modules.CLIFF).bench_class is None and pick(Classes.CLIFF).bench_id is None


def _check(root, *args):
    command = [sys.executable, "-m", "allocbench.history.check_config", "--root", str(root), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_the_tool_says_the_repository_agrees(root):
    done = _check(root)
    assert done.returncode == 0, done.stderr
    assert "agree with the catalog" in done.stdout
    shown = _check(root, "--print")
    assert shown.returncode == 0 and '"regressions_first_commits"' in shown.stdout


def test_the_tool_says_where_a_copy_disagrees(root, tmp_path):
    conf = environments.load_config(root)
    conf["benchmark_dir"] = str(root / "benchmarks")
    del conf["regressions_thresholds"]["bench_ratio\\."]
    conf["include"].pop(0)
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    workflow = tmp_path / ".github" / "workflows" / "history.yml"
    workflow.parent.mkdir(parents=True)
    shutil.copy(root / ".github" / "workflows" / "history.yml", workflow)
    done = _check(tmp_path)
    assert done.returncode == 1 and not done.stdout
    lines = done.stderr.splitlines()
    assert any(line.startswith("bench_ratio.") and "over 0.05" in line for line in lines)
    assert any("matrix has" in line and "py3.8" in line for line in lines)
    (tmp_path / "asv.conf.json").write_text("[]")
    done = _check(tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "error:" in done.stderr
