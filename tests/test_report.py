"""allocbench report: sentences computed from results, clear messages for unusable ones."""

import datetime
import json
import re

import pytest
from asvtools import RELEASES

from allocbench import report
from allocbench.catalog import Bench, MiB
from allocbench.cli import main
from allocbench.history import commit_ids as commits
from allocbench.history import ledger, releases
from allocbench.report import runs
from allocbench.report.render_markdown import lines
from allocbench.report.sections.allocators import allocators
from allocbench.report.sections.steps import release_steps
from allocbench.results import load
from allocbench.results.rules import result_filename

COLUMNS = ["result", "params", "version", "started_at", "duration"]
PATHS = ["'numpy.zeros'", "'numba.zeros'", "'mixed.zeros_in'", "'allocbench.zeros'"]
SIZES = [str(1 * MiB), str(32 * MiB), str(256 * MiB)]
SWITCH = {"ALLOCBENCH_PATCH_NUMBA_ZEROS": "1"}


@pytest.fixture(scope="module")
def hashes():
    table = releases.load()
    return {r.numba: h for h, r in commits.release_by_commit(table).items()}


def _alloc(numba_256):
    # numpy, numba, mixed, allocbench at 1, 32, 256 MiB
    values = [1e-4, 3e-5, 3e-5,  1e-4, 0.03, numba_256,
              1e-4, 3e-5, 3e-5,  1e-4, 3e-5, 3.3e-5]  # fmt: skip
    return [values, [PATHS, SIZES], "v", 0, 1.0]


#: The parameters' names of the benchmarks these tests write, as benchmarks/ declares them.
PARAM_NAMES = {
    Bench.ALLOC: ["path", "size"], Bench.CLIFF_RATIO: ["size"],
    Bench.FAULTS_ALLOC: ["path", "size"],
    Bench.OVER_CONTROL: ["path", "size"], Bench.FRESH_FIRST: ["path", "size"],
    Bench.IN_LOOP: ["path", "size"], Bench.IN_LOOP_COUNTING: ["path", "size"],
    Bench.FRESH_STEADY: ["path", "size"], Bench.FIRST_CALL: ["path"],
    Bench.THREAD_SCALING: ["path", "mode", "size"],
    Bench.THREADED_ALLOC: ["path", "mode", "threads", "size"], Bench.SEED_NUMBA: ["n"],
}  # fmt: skip


def _write(root, machine, commit, env, entries, env_vars=None, python="3.11"):
    """A results file as asv writes it (its environment's variables, Python and requirements
    beside its name), and the benchmarks' names and versions in benchmarks.json."""
    folder = root / machine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    data = {"commit_hash": commit, "env_name": env, "params": {"machine": machine},
            "requirements": {}, "env_vars": env_vars or {}, "date": 0, "python": python,
            "result_columns": COLUMNS, "results": entries, "version": 2}  # fmt: skip
    (folder / result_filename(commit, env)).write_text(json.dumps(data))
    benchmarks = root / "benchmarks.json"
    known = json.loads(benchmarks.read_text()) if benchmarks.exists() else {"version": 2}
    for name, row in entries.items():
        known[name] = {"version": row[2], "param_names": PARAM_NAMES.get(name, [])}
    benchmarks.write_text(json.dumps(known))


def _cliff(numba_from):
    return {
        Bench.CLIFF_NUMBA: [[numba_from], [], "v", 0, 1.0],
        Bench.CLIFF_NUMPY: [[32 * MiB + 8192], [], "v", 0, 1.0],
    }


def test_report_says_what_the_numbers_say(tmp_path, hashes):
    results = tmp_path / "results"
    for version, slow in (("0.48.0", 0.2), ("0.57.1", 0.21), ("0.68.1", 0.19)):
        entries = {Bench.ALLOC: _alloc(slow), **_cliff(32 * MiB + 8192)}
        _write(results, "box", hashes[version], "virtualenv-py3.11-numpy1.24.4", entries)
    path = report.write(results, tmp_path / "out", releases.load())
    text = path.read_text()
    assert "slowdown is there in every release" in text
    assert "numba 0.48.0 to 0.68.1" in text
    assert "6,333x to 7,000x" in text  # 0.19 / 3e-5 and 0.21 / 3e-5
    assert "33,562,624 bytes (32 MiB + 8 KiB)" in text
    assert "no release changed it" in text
    assert "from 33,554,432 bytes (32 MiB) up" in text  # the grid cliff
    assert "Allocate outside @njit" in text and "1x numpy's np.zeros" in text
    assert (tmp_path / "out" / "seed_figure.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "ratio_by_release.png").stat().st_size > 10_000


def test_report_sees_a_release_that_changed_it(tmp_path, hashes):
    results = tmp_path / "results"
    for version, slow in (("0.57.1", 0.2), ("0.58.1", 0.2), ("0.59.1", 0.0001)):
        _write(results, "box", hashes[version], "env", {Bench.ALLOC: _alloc(slow)})
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert "it changed: the largest step is 0.58.1 -> 0.59.1" in text
    assert "slowdown is there in 2 of 3" in text


def test_unknown_commits_are_named_not_dropped(tmp_path):
    _write(tmp_path / "results", "box", "f" * 40, "env", {Bench.ALLOC: _alloc(0.2)})
    text = report.write(tmp_path / "results", tmp_path / "out", releases.load()).read_text()
    assert "not numba releases: ffffffff" in text


def test_empty_partial_and_unknown_machine_get_messages(tmp_path, capsys, hashes):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "--results", str(empty), "--out", str(tmp_path / "o")]) == 1
    assert "no results files" in capsys.readouterr().err
    assert main(["report", "--results", str(tmp_path / "nope")]) == 1
    assert "no such results directory" in capsys.readouterr().err

    failed = tmp_path / "failed"
    _write(failed, "box", hashes["0.57.1"], "env", {Bench.ALLOC: [None, [PATHS, SIZES], "v"]})
    assert main(["report", "--results", str(failed), "--out", str(tmp_path / "o")]) == 1
    assert "failed or was skipped" in capsys.readouterr().err

    partial = tmp_path / "partial"
    _write(partial, "box", hashes["0.57.1"], "env", {Bench.ALLOC: _alloc(0.2)})
    (partial / "box" / "cut-short.json").write_text('{"commit_hash": "ab')
    assert main(["report", "--results", str(partial), "--out", str(tmp_path / "o")]) == 1
    # "not an asv results file", or "not JSON" where the results are read through files.py
    assert "cut-short.json: not " in capsys.readouterr().err

    good = tmp_path / "good"
    _write(good, "box", hashes["0.57.1"], "env", {Bench.ALLOC: _alloc(0.2)})
    assert main(["report", "--results", str(good), "--machine", "other",
                 "--out", str(tmp_path / "o")]) == 1  # fmt: skip
    assert "no results from machine 'other'; there are: box" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_results_without_the_headline_figures_say_so(tmp_path, hashes):
    results = tmp_path / "results"
    seed = {"bench_seed.SeedPlot.time_numba_zeros": [[0.1], [["4100"]], "v", 0, 1.0]}
    _write(results, "box", hashes["0.57.1"], "env", seed)
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert "cannot say where the slowdown appears" in text
    assert not (tmp_path / "out" / "seed_figure.png").exists()


def test_ledger_hashes_match_the_real_ledger(tmp_path, hashes):
    table = releases.load()
    built = ledger.build(table, tmp_path / "ledger")
    assert built[0] == hashes["0.48.0"] and built[-1] == hashes[table[-1].numba]
    assert built == commits.ledger_commits(table)
    # Candidates go on top of the last release, each after the one before, as the ledger does.
    later = [releases.Release(f"0.69.0rc{n}", table[-1].released + datetime.timedelta(days=n),
                              "0.51.0rc1", ["3.11"], ">=1.22,<2.6") for n in (1, 2)]  # fmt: skip
    with_candidates = ledger.build(table, tmp_path / "ledger", later)
    assert with_candidates == commits.ledger_commits(table, later)
    assert commits.release_by_commit(table, later)[with_candidates[-1]].numba == "0.69.0rc2"


def test_the_report_names_a_candidate_from_the_historys_ledger(tmp_path, capsys):
    table = releases.load()
    rc = releases.Release("0.69.0rc1", table[-1].released + datetime.timedelta(days=1),
                          "0.51.0rc1", ["3.11"], ">=1.22,<2.6")  # fmt: skip
    built = ledger.build(table, tmp_path / "ledger", [rc])
    results = tmp_path / "results"
    env = "virtualenv-py3.11-numpy1.24.4"
    _write(results, "box", built[-2], env, {Bench.ALLOC: _alloc(0.2)})
    _write(results, "box", built[-1], env, {Bench.ALLOC: _alloc(0.3)})
    assert ledger.candidate_releases(tmp_path / "ledger") == [rc]
    argv = ["report", "--results", str(results), "--out", str(tmp_path / "out")]
    assert main([*argv, "--ledger", str(tmp_path / "ledger")]) == 0
    text = (tmp_path / "out" / "README.md").read_text()
    assert "0.69.0rc1" in text and built[-1][:8] not in text
    assert main([*argv, "--ledger", str(tmp_path / "no-ledger")]) == 0  # no ledger: a hash
    assert built[-1][:8] in (tmp_path / "out" / "README.md").read_text()
    assert ledger.candidate_releases(tmp_path / "no-ledger") == []


def test_tunables_are_set_beside_their_base_run(tmp_path, hashes):
    results = tmp_path / "results"
    base = "virtualenv-py3.11-numpy1.24.4"
    tuned = base + "-GLIBC_TUNABLESglibc.malloc.mmap_threshold=131072"
    commit = hashes["0.68.1"]
    _write(results, "box", commit, base, _cliff(32 * MiB + 8192))
    entries = {**_cliff(135168), Bench.CLIFF_RATIO: [[1.0, 600.0], [[str(MiB), str(16 * MiB)]],
                                                      "v", 0, 1.0]}  # fmt: skip
    _write(results, "box", commit, tuned, entries,
           {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"})  # fmt: skip
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert ("With `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072` (" + base) in text
    assert "from 135,168 bytes (132 KiB) instead of 33,562,624 bytes (32 MiB + 8 KiB)" in text
    assert "at 16 MiB takes 600x numpy's time instead of n/a" in text


def test_machine_facts_are_reported(tmp_path, hashes):
    results = tmp_path / "results"
    facts = {Bench.GLIBC: [[2.36], [], "v", 0, 1.0], Bench.THP: [[1], [], "v", 0, 1.0],
             Bench.PAGE: [[4096], [], "v", 0, 1.0], Bench.ALLOC: _alloc(0.2)}  # fmt: skip
    _write(results, "box", hashes["0.57.1"], "env", facts)
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert "- box: glibc 2.36; transparent huge pages madvise; 4096-byte pages." in text


def test_how_busy_the_machine_was_is_reported_from_the_load_log(tmp_path, hashes, capsys):
    from allocbench.history import load_log
    from allocbench.load import Load

    results = tmp_path / "results"
    for version in ("0.57.1", "0.68.1"):
        _write(results, "box", hashes[version], "env", {Bench.ALLOC: _alloc(0.2)})
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert "box: how busy it was while measuring was not recorded" in text
    for version, cores in (("0.57.1", 0.02), ("0.68.1", 1.37)):
        load_log.record(results, "box", "env", [hashes[version]], Load(60.0, cores, 0.0, 2.5, 9))
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert "box while measuring (2 runs): other processes used 0.02 to 1.37 cores." in text
    assert "Measured beside more than 0.1 cores of other work: 0.68.1 in env (1.37)" in text
    load_log.path(results).write_text("[1, 2]")
    report.write(results, tmp_path / "out", releases.load())
    assert "not a load log (a list of entries); the machine's load is left out" in (
        capsys.readouterr().err
    )


@pytest.mark.slow
def test_report_from_a_real_asv_run(quick_run, tmp_path):
    """The report on the results of the shared quick asv run (numba 0.57.1 and 0.68.1; 0.48.0
    could not be installed there, so it has no figures)."""
    (asv_tmp, _, _, _), _ = quick_run
    # That ledger was built from three rows of the table, so its hashes are those three's.
    table = [releases.find(releases.load(), v) for v in RELEASES]
    path = report.write(asv_tmp / "results", tmp_path / "out", table)
    text = path.read_text()
    assert "numba 0.57.1 to 0.68.1" in text
    assert "slowdown is there in every release" in text
    assert "Where it starts" in text and "Allocate outside @njit" in text
    # bench_machine ran on this machine: its libc and page size, as this process sees them.
    from allocbench.harness import probes

    glibc = probes.glibc_version()
    libc = f"glibc {glibc[0]}.{glibc[1]:02d}" if glibc else "libc: n/a"
    assert f"- testbox: {libc}; " in text
    assert f"; {probes.page_size()}-byte pages." in text
    assert (tmp_path / "out" / "seed_figure.png").exists()


def test_the_switch_is_reported_beside_stock_numba_and_kept_out_of_the_summary(tmp_path, hashes):
    results = tmp_path / "results"
    base = "virtualenv-py3.11-numpy1.24.4"
    commit = hashes["0.68.1"]
    faults = {Bench.FAULTS_ALLOC: [[65538, 1], [["'numba.zeros'", "'numpy.zeros'"],
                                               ["'256 MiB'"]], "v", 0, 1.0]}  # fmt: skip
    _write(results, "box", commit, base, {Bench.ALLOC: _alloc(0.2), **faults})
    params = faults[Bench.FAULTS_ALLOC][1]
    switched = {Bench.ALLOC: _alloc(3.3e-5), Bench.FAULTS_ALLOC: [[1, 1], params, "v", 0, 1.0]}
    _write(results, "box", commit, base + "-ALLOCBENCH_PATCH_NUMBA_ZEROS1", switched, SWITCH)
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert (f"- numba 0.68.1 with the run-time switch ({base}, box): at 256 MiB np.zeros inside "
            "@njit takes 1.1x numpy's time, 6,667x as released; page faults per call: 1, "
            "instead of 65,538.") in text  # fmt: skip
    # The summary speaks of stock numba only: the switched run does not dilute "every release".
    assert "The slowdown is there in every release and environment measured" in text
    # A second release: one sentence over both, with the ranges of their figures.
    _write(results, "box", hashes["0.67.0"], base, {Bench.ALLOC: _alloc(0.3), **faults})
    _write(
        results,
        "box",
        hashes["0.67.0"],
        base + "-ALLOCBENCH_PATCH_NUMBA_ZEROS1",
        {Bench.ALLOC: _alloc(6.6e-5), Bench.FAULTS_ALLOC: [[3, 1], params, "v", 0, 1.0]},
        SWITCH,
    )
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert (
        f"- numba 0.67.0 to 0.68.1 (2 releases) with the run-time switch ({base}, box): at "
        "256 MiB np.zeros inside @njit takes 1.1x to 2.2x numpy's time, 6,667x to 10,000x "
        "as released; page faults per call: 1 to 3, instead of 65,538."
    ) in text
    assert text.count("with the run-time switch") == 1


def _alloc_with(numpy_256, numba_256):
    values = _alloc(numba_256)
    values[0][2] = numpy_256
    return values


def test_allocators_are_reported_beside_glibc_and_kept_out_of_the_summary(tmp_path, hashes):
    results = tmp_path / "results"
    base = "virtualenv-py3.11-numpy1.24.4"
    commit = hashes["0.68.1"]
    _write(results, "box", commit, base, {Bench.ALLOC: _alloc_with(1e-5, 0.1)})
    # jemalloc: the gap stays; tcmalloc: closed, because numpy's np.zeros slowed 500-fold
    _write(results, "box", commit, base + "-LD_PRELOADlibjemalloc.so.2",
           {Bench.ALLOC: _alloc_with(1e-6, 0.1)}, {"LD_PRELOAD": "libjemalloc.so.2"})  # fmt: skip
    _write(results, "box", commit, base + "-LD_PRELOADlibtcmalloc_minimal.so.4",
           {Bench.ALLOC: _alloc_with(5e-3, 6e-3)},
           {"LD_PRELOAD": "libtcmalloc_minimal.so.4"})  # fmt: skip
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert ("**Closes the gap** (numba's np.zeros within 2x of numpy's at 256 MiB): tcmalloc, "
            "where numpy's np.zeros takes 500x its time under glibc's malloc and numba's "
            "0.06x.") in text  # fmt: skip
    assert (
        f"- **jemalloc** (numba 0.68.1, {base}, box): at 256 MiB np.zeros inside @njit "
        "takes 100,000x numpy's np.zeros (10,000x under glibc's malloc)"
    ) in text
    assert "- **mimalloc**" not in text
    assert "no cliff measured (bench_cliff is n/a under it)." in text
    assert "faults every page from n/a" not in text
    # Only glibc's run counts as numba 0.68.1 as released.
    assert "The slowdown is there in every release and environment measured" in text


def test_no_allocator_runs_say_so():
    assert lines(allocators([])) == [
        "Not measured in these results (the LD_PRELOAD environments of asv.conf.json)."
    ]


def _steps(results):
    """The release-steps findings of `results`, as the report's Markdown lines."""
    return lines(release_steps(runs.collect(load(results), releases.load())))


def _ratios(value):
    return {Bench.OVER_CONTROL: [[value, 0.9], [["'numba.zeros'"], ["'64 KiB'", "'16 MiB'"]],
                                 "v", 0, 1.0]}  # fmt: skip


def test_a_step_of_allocation_inside_a_loop_is_a_candidate_either_way(tmp_path, hashes):
    results = tmp_path / "results"
    env = "virtualenv-py3.10-numpy1.22.4"
    # numba.empty in a loop at 8 B: about 24 per allocation over the loop alone, 11 from 0.57.0
    for version, value in {"0.55.2": 23.9, "0.56.4": 24.4, "0.57.0": 11.0, "0.57.1": 10.9}.items():
        entry = [[value], [["'numba.empty'"], ["'8 B'"]], "v", 0, 1.0]
        _write(results, "box", hashes[version], env, {Bench.IN_LOOP: entry})
    (line,) = _steps(results)
    assert line.startswith(f"- **Not checked:** numba 0.56.4 -> 0.57.0 ({env}, box)")
    assert line.endswith("numba.empty in a loop at 8 B (over the loop alone) 0.453x.")


def test_a_release_that_moved_a_tracked_ratio_is_named_and_noise_is_not(tmp_path, hashes):
    results = tmp_path / "results"
    env = "virtualenv-py3.8-numpy1.18.5"
    # numba.zeros at 64 KiB: +-5% noise, then a 40% step at 0.54.1; at 16 MiB flat
    series = {"0.49.1": 0.50, "0.51.2": 0.525, "0.53.1": 0.49, "0.54.1": 0.70, "0.55.2": 0.68,
              "0.56.4": 0.72}  # fmt: skip
    for version, value in series.items():
        _write(results, "box", hashes[version], env, _ratios(value))
    # One measurement per release is a candidate, never a finding, until confirmed
    # (tests/test_confirm.py names a confirmed step).
    line, floor = _steps(results)
    assert line.startswith(f"- **Not checked:** numba 0.53.1 -> 0.54.1 ({env}, box)")
    assert line.endswith("numba.zeros at 64 KiB 1.4x.")
    assert "changed a compiled path" not in line
    assert floor.startswith("- **The floor: not measured**")
    for version, value in (("0.54.1", 0.51), ("0.55.2", 0.52), ("0.56.4", 0.505)):
        _write(results, "box", hashes[version], env, _ratios(value))  # noise alone
    assert _steps(results)[0].startswith("- **No release changed**")


def test_the_environments_without_a_floor_are_named_in_one_line(tmp_path, hashes):
    results = tmp_path / "results"
    envs = ("virtualenv-py3.8-numpy1.18.5", "virtualenv-py3.10-numpy1.22.4")
    for env in envs:
        for version in ("0.55.2", "0.56.4"):
            _write(results, "box", hashes[version], env, _ratios(0.5))
    floors = [line for line in _steps(results) if "The floor" in line]
    assert len(floors) == 1
    assert floors[0].startswith("- **The floor: not measured** for ")
    assert all(env in floors[0] for env in envs) and " on box " in floors[0]


def test_no_claim_about_release_steps_without_the_figures(tmp_path, hashes):
    results = tmp_path / "results"
    env = "virtualenv-py3.8-numpy1.18.5"
    _write(results, "box", hashes["0.53.1"], env, _ratios(0.5))  # one release: nothing to compare
    (line,) = _steps(results)
    assert line.startswith("- **Release steps: not measured.**")
    assert "No release changed" not in line


def _threads_and_startup(import_s, first_call_s, over_ideal):
    paths = [["'numba.zeros'", "'allocbench.zeros'"]]
    scaling = [["'numba.zeros'"], ["'prange'", "'threads'"], [str(64 * MiB)]]
    return {
        Bench.IMPORT_NUMBA: [[import_s], [], "v", 0, 1.0],
        Bench.FIRST_CALL: [[first_call_s, 0.3], paths, "v", 0, 1.0],
        Bench.THREAD_SCALING: [[over_ideal, 1.2], scaling, "v", 0, 1.0],
    }


def test_threads_import_and_first_call_are_reported_by_release(tmp_path, hashes):
    results = tmp_path / "results"
    env = "virtualenv-py3.11-numpy1.24.4"
    _write(results, "box", hashes["0.57.1"], env, _threads_and_startup(0.2, 0.05, 2.0))
    newest = _threads_and_startup(0.3, 0.25, 1.11)
    # numba.zeros and allocbench.zeros, prange and threads, 1 and every core
    newest[Bench.THREADED_ALLOC] = [
        [0.02, 0.01, 0.02, 0.011, 1e-5, 2e-5, 1e-5, 3e-5],
        [["'numba.zeros'", "'allocbench.zeros'"], ["'prange'", "'threads'"], ["'1'", "'all'"],
         [str(64 * MiB)]], "v", 0, 1.0]  # fmt: skip
    _write(results, "box", hashes["0.68.1"], env, newest)
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    assert (
        f"- **From several threads** (numba 0.68.1, {env}, box), wall-clock time per 64 MiB "
        "array, one thread / every core allocating at once: in a prange loop, numba.zeros "
        "20 ms / 10 ms, allocbench.zeros 10 us / 20 us; from nogil functions in Python "
        "threads, numba.zeros 20 ms / 11 ms, allocbench.zeros 10 us / 30 us."
    ) in text
    assert (f"in a prange loop, 64 MiB arrays, time on every core over perfect scaling (1.0: "
            f"the cores allocate that many times as fast as one; the core count: no faster "
            f"than one thread): 1.11 (numba 0.68.1, {env}) to 2.00 (numba 0.57.1, {env}) over 2 "
            f"runs.") in text  # fmt: skip
    assert (f"- **`import numba`** takes 200 ms to 300 ms (a fresh interpreter each, medians of "
            f"three); oldest to newest release: {env}: 200 ms (numba 0.57.1) to 300 ms "
            f"(numba 0.68.1).") in text  # fmt: skip
    assert "np.zeros (its compilation)** takes 50 ms to 250 ms" in text


def test_threads_and_startup_not_measured_say_so():
    from allocbench.report.sections.threads_and_startup import startup, threads

    assert lines(threads([])) == ["Not measured in these results (`bench_threads`)."]
    assert lines(startup([])) == ["Not measured in these results (`bench_compile`)."]


def test_the_ratio_by_release_plot_draws_stock_numba_under_glibc_only(tmp_path, hashes):
    from allocbench.report import figures

    results = tmp_path / "results"
    base = "virtualenv-py3.11-numpy1.24.4"
    for variant, env_vars in (("-LD_PRELOADlibjemalloc.so.2", {"LD_PRELOAD": "libjemalloc.so.2"}),
                              ("-ALLOCBENCH_PATCH_NUMBA_ZEROS1", SWITCH)):  # fmt: skip
        _write(results, "box", hashes["0.68.1"], base + variant, {Bench.ALLOC: _alloc(0.2)},
               env_vars)  # fmt: skip
    table = releases.load()
    assert not figures.plot_ratio_by_release(runs.collect(load(results), table), tmp_path / "a.png")
    _write(results, "box", hashes["0.68.1"], base, {Bench.ALLOC: _alloc(0.2)})
    assert figures.plot_ratio_by_release(runs.collect(load(results), table), tmp_path / "b.png")


#: Names a results file from someone else's machine may carry: HTML, and Markdown's own
#: characters (a "$" too, which matplotlib would read as the start of a formula). No "/": asv
#: names a result's file after its environment.
MACHINE = "<img src=x onerror=alert(1)>"
ENV = "virtualenv-py3.11-<script src=x>*b*_i_[l](u)|$x^$"


def _hostile_results(root, hashes):
    def write(commit, env, entries, env_vars=None):
        _write(root, MACHINE, commit, env, entries, env_vars)

    fresh = [["'<img src=p>'"], [str(MiB)]]
    for version, slow, ratio in (("0.57.1", 0.2, 0.5), ("0.68.1", 0.21, 0.9)):
        entries = {Bench.ALLOC: _alloc(slow), **_cliff(32 * MiB + 8192),
                   Bench.OVER_CONTROL: [[ratio], [["'<script>p'"], ["'64 KiB'"]], "v",
                                        0, 1.0],
                   Bench.FRESH_FIRST: [[0.1], fresh, "v", 0, 1.0],
                   Bench.FRESH_STEADY: [[0.01], fresh, "v", 0, 1.0],
                   **_threads_and_startup(0.2, 0.05, 2.0)}  # fmt: skip
        write(hashes[version], ENV, entries)
    write(hashes["0.68.1"], ENV + "-GLIBC_TUNABLES<b>`x`", _cliff(135168),
          {"GLIBC_TUNABLES": "<b>`x`"})  # fmt: skip
    write(hashes["0.68.1"], ENV + "-ALLOCBENCH_PATCH_NUMBA_ZEROS1", {Bench.ALLOC: _alloc(3e-5)},
          SWITCH)  # fmt: skip
    write("<img src=c>" + "0" * 30, ENV, {Bench.ALLOC: _alloc(0.2)})  # a commit of no release
    return root


def test_names_from_the_results_are_text_in_the_markdown(tmp_path, hashes):
    results = _hostile_results(tmp_path / "results", hashes)
    text = report.write(results, tmp_path / "out", releases.load()).read_text()
    # No "<" outside the one code span, where GitHub shows it as it is.
    span = "`` GLIBC_TUNABLES=<b>`x` ``"
    assert text.count(span) == 1 and "<" not in text.replace(span, "")
    machine = "&lt;img src=x onerror=alert(1)&gt;"
    env = r"virtualenv-py3.11-&lt;script src=x&gt;\*b\*\_i\_\[l\](u)\|\$x^\$"
    assert f"## {env} on {machine}" in text
    assert f"- {machine}: libc: n/a" in text
    assert f"- {env} on {machine}: no release changed it" in text
    assert f"With {span} (" in text
    assert "&lt;script&gt;p at 64 KiB 1.8x" in text
    assert "Commits that are not numba releases: &lt;img src." in text
    # Each row of a table keeps its cells: a "|" in a name is escaped.
    for table_row in (line for line in text.splitlines() if line.startswith("|")):
        cells = len(re.split(r"(?<!\\)\|", table_row))
        assert cells in (7, 8, 10), table_row
    assert (tmp_path / "out" / "seed_figure.png").stat().st_size > 10_000


def test_names_from_the_results_are_text_on_the_front_page(tmp_path, hashes):
    from allocbench.report.front_page import front_page

    results = _hostile_results(tmp_path / "results", hashes)
    page = front_page(runs.collect(load(results), releases.load()), tmp_path / "a")
    assert "<img src=x" not in page and "<script" not in page and "<b>`" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "virtualenv-py3.11-&lt;script src=x&gt;*b*_i_[l](u)|$x^$" in page
    assert "<code>GLIBC_TUNABLES=&lt;b&gt;`x`</code>" in page


def test_a_name_is_escaped_once_and_reads_as_written():
    from allocbench.report.words import code, name

    assert name("0.57.1") == "0.57.1" and name("box-1") == "box-1"
    assert name("<a href='x'>&</a>") == "&lt;a href='x'&gt;&amp;&lt;/a&gt;"
    assert name(r"a*b_c`d|e[f]\g#h~i$") == r"a\*b\_c\`d\|e\[f\]\\g\#h\~i\$"
    assert name("- x") == r"\- x" and name("1. x") == r"1\. x" and name("a\nb") == "a b"
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``"


def test_what_numbas_runtime_counts_is_read_from_the_two_in_loop_figures(tmp_path, hashes):
    from allocbench.report.sections.why import counting

    results = tmp_path / "results"
    env = "virtualenv-py3.10-numpy1.22.4"
    params = [["'numba.empty'"], ["'8 B'"]]
    for version, alone, counted in (("0.56.4", 24.4, 24.9), ("0.57.0", 11.0, 23.1)):
        _write(results, "box", hashes[version], env, {
            Bench.IN_LOOP: [[alone], params, "v", 0, 1.0],
            Bench.IN_LOOP_COUNTING: [[counted], params, "v", 0, 1.0]})  # fmt: skip
    # The same release in a second environment is named with its environment.
    _write(results, "box", hashes["0.56.4"], "virtualenv-py3.8-numpy1.18.5", {
        Bench.IN_LOOP: [[22.5], params, "v", 0, 1.0],
        Bench.IN_LOOP_COUNTING: [[22.2], params, "v", 0, 1.0]})  # fmt: skip
    (line,) = lines(counting(runs.collect(load(results), releases.load())))
    assert (f"{env}: 0.56.4 24.4 (24.9 counted), 0.57.0 11.0 (23.1 counted); "
            "virtualenv-py3.8-numpy1.18.5: 0.56.4 22.5 (22.2 counted).") in line  # fmt: skip
    assert line.endswith(
        "counting only when asked (counted over uncounted beyond 1.5x) in numba 0.57.0; "
        "counting always (the two agree) in numba 0.56.4."
    )
    assert counting(runs.collect(load(results), releases.load())[:0]) == []
