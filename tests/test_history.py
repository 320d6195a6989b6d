"""The history job's plan: environments that agree with the release table, and selections
that name real benchmarks."""

import hashlib
import itertools
import json
import re

import pytest

from allocbench.catalog import ALLOCATORS, BUILD_VARIABLE, PRELOAD_VARIABLE, SWITCH_VARIABLE
from allocbench.history import environments, ledger, releases, selection
from benchmarks import bench_alloc, bench_compile, bench_ratio, bench_threads


@pytest.fixture(scope="module")
def envs(root):
    return environments.environments(environments.load_config(root))


def test_every_environment_runs_a_series_of_releases(envs):
    table = releases.load()
    for env in envs:
        runs = [i for i, r in enumerate(table) if env.supports(r)]
        # The patched build exists for the releases it was made for only.
        least = 2 if env.build else 3
        assert len(runs) >= least, f"{env.name} runs too few releases: {runs}"
        if not env.build:
            assert runs == list(range(runs[0], runs[0] + len(runs))) or env.numpy == "1.22.4"


def test_environments_cover_every_release(envs):
    uncovered = [r.numba for r in releases.load() if not any(e.supports(r) for e in envs)]
    assert uncovered == []


def test_neighbouring_series_overlap(envs):
    """Each environment shares a release with another, so their series can be joined."""
    table = releases.load()
    supported = [{r.numba for r in table if e.supports(r)} for e in envs]
    for i, mine in enumerate(supported):
        others = set().union(*(s for j, s in enumerate(supported) if j != i))
        assert mine & others, f"environment {envs[i]} shares no release with the others"


def test_the_seed_version_runs_with_the_seed_era_numpy(envs):
    seed = releases.find(releases.load(), "0.48.0")
    assert any(e.supports(seed) and e.python == "3.8" and not e.tunables for e in envs)


def test_config_points_asv_at_the_ledger(root):
    conf = environments.load_config(root)
    assert conf["repo"] == ".asv/ledger"
    # the releases first (what every graph opens on), then the candidates
    assert conf["branches"] == [ledger.BRANCH, ledger.CANDIDATES]
    assert conf["regressions_first_commits"][f".*@{ledger.CANDIDATES}$"] == ledger.BRANCH
    assert conf["build_command"] == []
    step = "allocbench.history.install_release {build_dir}"
    assert any(step in c for c in conf["install_command"])
    plain = [e["python"] for e in conf["include"] if not ({"env_nobuild", "env"} & set(e))]
    assert len(plain) == len(set(plain)), "one plain environment per Python"


def test_env_names_are_asvs(envs):
    assert environments.Environment("3.11", "1.24.4").name == "virtualenv-py3.11-numpy1.24.4"
    assert len({e.name for e in envs}) == len(envs)


def test_default_choice_has_the_seed_and_the_newest():
    table = releases.load()
    chosen = [r.numba for r in selection.choose(table, None)]
    assert chosen[0] == "0.48.0" and chosen[-1] == table[-1].numba and "0.57.1" in chosen
    with pytest.raises(releases.TableError):
        selection.choose(table, ["0.48.0", "1.0.0"])


def test_plan_only_pairs_releases_that_can_run():
    table = releases.load()
    old, new = environments.Environment("3.8", "1.18.5"), environments.Environment("3.11", "1.24.4")
    plan = selection.plan(selection.choose(table, ["0.48.0", "0.68.1"]), [old, new])
    assert [r.numba for r in plan[old]] == ["0.48.0"]
    assert [r.numba for r in plan[new]] == ["0.68.1"]


def _names(cls, method):
    prefix = f"{cls.__module__.split('.')[-1]}.{cls.__name__}.{method}"
    for combo in itertools.product(*cls.params):
        yield f"{prefix}({', '.join(map(repr, combo))})"


def test_history_selection_names_real_benchmark_parameters():
    regexes = [re.compile(r) for r in selection.regexes(selection.HISTORY)]
    alloc = [
        n for n in _names(bench_alloc.Alloc, "time_alloc") if any(r.search(n) for r in regexes)
    ]
    write = [n for n in _names(bench_alloc.AllocAndWrite, "time_alloc_and_write")
             if any(r.search(n) for r in regexes)]  # fmt: skip
    assert len(alloc) == 6 * 6 and len(write) == 4 * 2
    assert "bench_alloc.Alloc.time_alloc('numba.zeros', '256 MiB')" in alloc
    assert not any("1073741824" in n for n in alloc)


def test_config_is_json_with_unique_envs(root):
    conf = json.loads((root / "asv.conf.json").read_text())
    assert len({json.dumps(e, sort_keys=True) for e in conf["include"]}) == len(conf["include"])


def test_tunables_run_the_newest_release_of_their_base(envs):
    tuned = [e for e in envs if e.tunables]
    assert {e.tunables.split("=")[0] for e in tuned} == {
        "glibc.malloc.mmap_threshold",
        "glibc.malloc.trim_threshold",
    }
    table = releases.load()
    plan = selection.plan(selection.choose(table, ["0.57.1", "0.58.1", "0.68.1"]), tuned)
    assert all([r.numba for r in chosen] == ["0.68.1"] for chosen in plan.values())
    assert all(e.name == _asv_name(e, ("nobuild", "GLIBC_TUNABLES"), e.tunables) for e in tuned)


def _asv_name(env, variable, value):
    """asv's name for `env`'s Python and numpy with the one `variable` ((kind, name)) set."""
    from asv.environment import get_env_name

    return get_env_name("virtualenv", env.python, {"numpy": env.numpy}, {variable: value})


def _bridge_names(envs):
    return tuple(e.name for e in selection.bridges(envs, releases.load()))


def test_bridge_envs_exist_and_join_series(envs):
    names = {e.name: e for e in envs}
    table = releases.load()
    for name in _bridge_names(envs):
        bridge = {r.numba for r in table if names[name].supports(r)}
        others = [{r.numba for r in table if e.supports(r)} for e in envs
                  if e.name != name and not e.tunables]  # fmt: skip
        assert sum(bool(bridge & other) for other in others) >= 2
    # The default releases all run somewhere else, so leaving the bridges out loses none.
    rest = [e for e in envs if e.name not in _bridge_names(envs) and not e.tunables]
    for release in selection.choose(table, None):
        assert any(e.supports(release) for e in rest), release.numba


def test_the_bridge_is_found_from_the_environments_releases(envs):
    table = releases.load()
    found = selection.bridges(envs, table)
    assert [e.python for e in found] == ["3.10"]  # between 3.8's series and 3.11's
    assert len(found) == 1 and found[0].plain
    # Without the series it joins there is nothing to bridge.
    older = _series_of(envs, "0.48.0")
    assert selection.bridges([e for e in envs if e != older], table) == []


def _series_of(envs, version):
    """The one plain environment, not a bridge, whose series has numba `version`."""
    table = releases.load()
    release = releases.find(table, version)
    joining = selection.bridges(envs, table)
    (found,) = [e for e in envs if e.plain and e not in joining and e.supports(release)]
    return found


def test_the_bridge_runs_where_the_series_meet(envs):
    table = releases.load()
    every = [r.numba for r in table]
    planned = selection.plan(selection.choose(table, every), envs)
    by_name = {e.name: chosen for e, chosen in planned.items()}
    bridge = [r.numba for r in by_name[_bridge_names(envs)[0]]]
    # the seed's series, which ends before the bridge's newest, and the one after it
    older = [r.numba for r in planned[_series_of(envs, "0.48.0")]]
    newer = [r.numba for r in planned[_series_of(envs, "0.57.0")]]
    can = [r.numba for r in table if _env(envs, _bridge_names(envs)[0]).supports(r)]
    assert [v for v in can if v in older] == [v for v in bridge if v in older]
    assert [v for v in bridge if v not in older] == [*newer[: selection.JOIN_RELEASES], every[-1]]
    assert len(bridge) < len(can)
    # Named on its own (as the workflow's job per environment does), it runs the same.
    named = [_env(envs, _bridge_names(envs)[0])]
    alone = selection.plan(selection.choose(table, every), named, every=envs)
    assert [r.numba for r in alone[named[0]]] == bridge
    # Where no series ends within its range, it runs all it can.
    alone = selection.plan(selection.choose(table, every), named)
    assert [r.numba for r in alone[named[0]]] == can


def _env(envs, name):
    return next(e for e in envs if e.name == name)


def test_history_and_once_split_threads_and_compile_times_between_them():
    history = [re.compile(r) for r in selection.regexes(selection.HISTORY)]
    once = [re.compile(r) for r in selection.regexes(selection.ONCE)]
    names = [*_names(bench_threads.ThreadScaling, "track_time_over_ideal"),
             *_names(bench_compile.FirstCall, "timeraw_first_call"),
             "bench_compile.ImportTime.timeraw_import_numba",
             "bench_compile.ImportTime.timeraw_import_numpy"]  # fmt: skip
    for name in names:
        every_release = "'numba.zeros'" in name or name.endswith("import_numba")
        where = (any(r.search(name) for r in history), any(r.search(name) for r in once))
        assert where == (every_release, not every_release), name


def test_the_fixed_np_zeros_grid_is_measured_for_the_newest_release_only(envs):
    fixed = [e for e in envs if e.switch or e.build]
    assert fixed
    for env in fixed:
        assert not any("NumbaZerosOverNumpy" in r for r in selection.selection_for(env))
        assert selection.newest_benchmarks(env, None) == [r"^bench_fix\.NumbaZerosOverNumpy\."]
    plain = environments.Environment(fixed[0].python, fixed[0].numpy)
    assert plain in envs
    assert selection.newest_benchmarks(plain, None) == []
    assert selection.newest_benchmarks(plain, plain) == selection.regexes(selection.ONCE)


def test_dir_name_is_asvs_and_shared_with_tunables(envs):
    from asv.environment import get_env_name

    base = environments.Environment("3.11", "1.24.4")
    tuned = environments.Environment("3.11", "1.24.4", "glibc.malloc.mmap_threshold=131072")
    name = get_env_name("virtualenv", "3.11", {"numpy": "1.24.4"}, {}, build=True)
    assert base.dir_name == hashlib.md5(name.encode()).hexdigest() == tuned.dir_name


def test_a_stale_package_is_reinstalled(tmp_path):
    source = tmp_path / "src" / "allocbench"
    source.mkdir(parents=True)
    (source / "a.py").write_text("x = 1\n")
    env_dir = tmp_path / "env"
    installed = env_dir / "lib" / "python3.11" / "site-packages" / "allocbench"
    installed.mkdir(parents=True)
    (installed / "a.py").write_text("x = 1\n")
    status = env_dir / "asv-install-status.json"
    status.write_text("{}")
    assert not environments.forget_stale_install(env_dir, source)
    assert status.exists()
    (source / "a.py").write_text("x = 2\n")
    assert environments.forget_stale_install(env_dir, source)
    assert not status.exists()


def _first_commit_rule(conf, name):
    for regex, commit in conf["regressions_first_commits"].items():
        if re.match(regex, name):
            return commit
    return "all"


@pytest.mark.parametrize(
    "name, watched",
    [
        ("bench_alloc.Alloc.time_alloc('numba.zeros', '256 MiB')", False),
        ("bench_seed.SeedPlot.time_numpy_zeros(4100)", False),
        ("bench_machine.Glibc.track_glibc_version", False),
        ("bench_memory.PageFaults.track_faults_alloc('numba.zeros', '64 KiB')", False),
        ("bench_memory.PageFaults.track_pages_faulted_alloc('numpy.zeros', '64 KiB')", False),
        ("bench_memory.PageFaults.track_pages_faulted_alloc('numba.zeros', '64 KiB')", True),
        ("bench_ratio.OverControl.track_over_control('numba.zeros', '256 MiB')", True),
        ("bench_explain.CompiledCode.track_whole_block_fills('numba.zeros')", True),
        # measured within 9% over 6 processes; the cheap allocations' scaling moved by 25-165%,
        # and numba's np.zeros's at 64 KiB by 0.76-1.83 over numba 0.49-0.53 (Python 3.8)
        (
            "bench_threads.ThreadScaling.track_time_over_ideal('numba.zeros', 'prange', '64 MiB')",
            True,
        ),
        (
            "bench_threads.ThreadScaling.track_time_over_ideal('numba.zeros', 'threads', '64 KiB')",
            False,
        ),
        (
            "bench_threads.ThreadScaling.track_time_over_ideal('numba.empty', 'threads', '64 KiB')",
            False,
        ),
        (
            "bench_threads.ThreadScaling.track_time_over_ideal('allocbench.zeros', 'prange', "
            "'64 KiB')",
            False,
        ),
        (
            "bench_threads.ThreadedAlloc.track_seconds_per_array('numba.zeros', 'prange', '2', "
            "'64 KiB')",
            False,
        ),
        ("bench_compile.ImportTime.timeraw_import_numba", False),
    ],
)
def test_only_noise_free_figures_of_numba_paths_count_as_regressions(root, name, watched):
    conf = environments.load_config(root)
    assert (_first_commit_rule(conf, name) is not None) is watched


def test_the_switch_runs_the_releases_it_works_on_with_stock_numbas_measures(envs):
    switched = [e for e in envs if e.switch]
    assert len(switched) == 1 and not switched[0].plain
    assert switched[0].name == _asv_name(switched[0], ("nobuild", SWITCH_VARIABLE), "1")
    base = environments.Environment(switched[0].python, switched[0].numpy)
    assert switched[0].dir_name == base.dir_name  # the same virtualenv
    table = releases.load()
    assert not switched[0].supports(releases.find(table, "0.53.1"))
    chosen = selection.choose(table, None)
    assert [r.numba for r in selection.plan(chosen, envs)[switched[0]]] == ["0.57.1", "0.68.1"]
    # The default job measures the variants for the newest release only.
    planned = selection.plan(chosen, envs, quick_variants=True)
    assert [r.numba for r in planned[switched[0]]] == [table[-1].numba]
    chosen = [re.compile(r) for r in selection.selection_for(switched[0])]
    ratios = [n for n in _names(bench_ratio.OverControl, "track_over_control")
              if any(r.search(n) for r in chosen)]  # fmt: skip
    assert {n.split("'")[1] for n in ratios} == {"numba.zeros", "numba.zeros_like"}
    assert not any("bench_seed" in r.pattern for r in chosen)
    assert selection.once_environment(planned).plain


def test_the_patched_build_has_a_virtualenv_of_its_own_and_runs_its_releases(envs):
    patched = [e for e in envs if e.build]
    assert len(patched) == 1 and patched[0].build == "patched" and not patched[0].plain
    base = environments.Environment(patched[0].python, patched[0].numpy)
    assert patched[0].dir_name != base.dir_name
    assert patched[0].name == _asv_name(patched[0], ("build", BUILD_VARIABLE), "patched")
    table = releases.load()
    planned = selection.plan(selection.choose(table, None), envs)
    assert [r.numba for r in planned[patched[0]]] == ["0.57.1", "0.68.1"]


def test_with_every_release_the_variants_measure_a_few_spread_from_first_to_newest(envs):
    table = releases.load()
    planned = selection.plan(selection.choose(table, [r.numba for r in table]), envs)
    for env in envs:
        supported = [r for r in table if env.supports(r)]
        if env.plain:
            assert planned[env] == supported or env in selection.bridges(envs, table)
        elif env.switch or env.build:
            chosen = planned[env]
            assert len(chosen) == selection.VARIANT_RELEASES < len(supported)
            assert chosen[0] == supported[0] and chosen[-1] == supported[-1]
            keys = [r.key for r in chosen]
            assert keys == sorted(set(keys))
        else:
            assert planned[env] == supported[-1:]


@pytest.mark.parametrize(
    "count, wanted",
    [(1, [9]), (2, [0, 9]), (4, [0, 3, 6, 9]), (10, list(range(10))), (12, list(range(10)))],
)
def test_spread_takes_evenly_spaced_releases_with_both_ends(count, wanted):
    table = releases.load()[:10]
    assert selection.spread(table, count) == [table[i] for i in wanted]


def test_each_allocator_runs_the_newest_release_in_the_plain_virtualenv(envs):
    under = {e.allocator: e for e in envs if e.allocator}
    assert set(under) == set(ALLOCATORS)
    table = releases.load()
    planned = selection.plan(selection.choose(table, None), envs)
    for name, env in under.items():
        preload = ALLOCATORS[name].soname
        assert not env.plain and env.name == _asv_name(env, ("nobuild", PRELOAD_VARIABLE), preload)
        assert env.dir_name == environments.Environment(env.python, env.numpy).dir_name
        assert [r.numba for r in planned[env]] == [table[-1].numba]
        chosen = selection.selection_for(env)
        assert r"^bench_fix\." in chosen and r"^bench_cliff\." in chosen
        assert not any("bench_seed" in r or "bench_ratio" in r for r in chosen)


@pytest.mark.parametrize("preload", ["libevil.so", "/tmp/libjemalloc.so.2", "libjemalloc.so.2 x"])
def test_only_a_known_allocator_is_ever_preloaded(preload):
    conf = {"include": [{"python": "3.11", "req": {"numpy": "1.24.4"},
                         "env_nobuild": {"LD_PRELOAD": preload}}]}  # fmt: skip
    with pytest.raises(environments.HistoryError, match="LD_PRELOAD"):
        environments.environments(conf)


def test_the_default_job_leaves_the_bridge_and_the_allocators_to_all(root):
    from allocbench.history import job

    conf, table = environments.load_config(root), releases.load()
    default = job._environments(conf, table, job.Options())
    every = job._environments(conf, table, job.Options(versions=[r.numba for r in table]))
    left = {e.name for e in every} - {e.name for e in default}
    assert left == set(_bridge_names(every)) | {e.name for e in every if e.allocator}
    named = job._environments(conf, table, job.Options(envs=[e.name for e in every if e.allocator]))
    assert all(e.allocator for e in named) and len(named) == len(ALLOCATORS)
