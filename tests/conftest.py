"""Shared test fixtures: the repository root, the benchmarks package on sys.path, and one real
quick asv run (a small ledger, one environment) that the slow tests share.

`pytest -m "not slow"` is the quick subset. tests/test_markers.py fails where a test uses an
expensive fixture without the slow marker; a test without it that took more than
UNMARKED_LIMIT seconds (setup, call and teardown) is listed at the end of the run, not failed,
since a busy machine moves every duration."""

import json
import os
import pathlib
import sys

import pytest
from asvtools import BENCH, ENV, MACHINE, RELEASES, run_asv

from allocbench.history import environments, interpreters, ledger, releases

ROOT = pathlib.Path(__file__).resolve().parent.parent

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Seconds a test not marked slow may take. The slowest unmarked ones take under 4 s here (two
#: cores, shared), so only a test that belongs in the slow set comes near it.
UNMARKED_LIMIT = 10.0
_unmarked_seconds = {}


def pytest_runtest_makereport(item, call):
    if item.get_closest_marker("slow") is None:
        _unmarked_seconds[item.nodeid] = _unmarked_seconds.get(item.nodeid, 0.0) + call.duration


def _too_slow():
    return sorted((s, n) for n, s in _unmarked_seconds.items() if s > UNMARKED_LIMIT)


def pytest_terminal_summary(terminalreporter):
    slow = _too_slow()
    if slow:
        terminalreporter.section("tests to mark @pytest.mark.slow", yellow=True)
        for seconds, nodeid in reversed(slow):
            terminalreporter.line(f"{seconds:.1f}s {nodeid} (over {UNMARKED_LIMIT:.0f} s)")


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def asv_home(root, tmp_path_factory):
    """A config like the repository's, pointed at a small ledger in a temporary directory."""
    tmp = tmp_path_factory.mktemp("asv")
    table = [releases.find(releases.load(), v) for v in RELEASES]
    hashes = ledger.build(table, tmp / "ledger")
    conf = environments.load_config(root)
    conf.update(
        repo=str(tmp / "ledger"),
        benchmark_dir=str(root / "benchmarks"),
        env_dir=str(tmp / "env"),
        results_dir=str(tmp / "results"),
        html_dir=str(tmp / "html"),
        # The plain environment, not its variants (glibc tunables, the switch, the patched build).
        include=[
            e
            for e in conf["include"]
            if (e["python"], e["req"]["numpy"]) == ENV
            and not (e.get("env_nobuild") or e.get("env"))
        ],
        # asv runs from the config's folder, so {conf_dir} would be the temporary one.
        install_command=[c.replace("{conf_dir}", str(root)) for c in conf["install_command"]],
    )
    assert len(conf["include"]) == 1
    config = tmp / "asv.conf.json"
    config.write_text(json.dumps(conf))
    found = interpreters.expose([ENV[0]], tmp / "bin")
    if found[ENV[0]] is None:
        pytest.skip(f"no Python {ENV[0]} on this machine")
    env = environments.asv_environment(tmp / "bin", dict(os.environ, HOME=str(tmp)))
    env.setdefault("PIP_CACHE_DIR", str(pathlib.Path.home() / ".cache" / "pip"))
    run_asv(["machine", "--yes", "--machine", MACHINE, "--config", str(config)], root, env)
    return tmp, config, env, dict(zip(RELEASES, hashes))


@pytest.fixture(scope="session")
def quick_run(root, asv_home):
    """asv run --quick of a few benchmarks over the ledger's releases; (asv_home, stdout)."""
    _tmp, config, env, _hashes = asv_home
    args = ["run", "--quick", "--machine", MACHINE, "--config", str(config), "ALL"]
    for regex in BENCH:
        args += ["--bench", regex]
    # asv exits 2 because 0.48.0 could not be installed: that is the point.
    out = run_asv(args, root, env, ok=(0, 2))
    return asv_home, out


@pytest.fixture(scope="session")
def published_site(root, quick_run):
    """The html directory asv publish writes from the quick run's results."""
    (tmp, config, env, _hashes), _ = quick_run
    run_asv(["publish", "--config", str(config)], root, env)
    return tmp / "html"
