"""A planted change is caught: asv's regressions page flags exactly the release and the path
that really changed, and nothing else.

The ledger here has three commits of numba 0.68.1. In the first two, the install step turns
allocbench's run-time switch on (a .pth file sets ALLOCBENCH_PATCH_NUMBA_ZEROS=1 at
interpreter start), so numba's np.zeros is calloc-backed; in the third it is off, as numba
is released. That is a real regression of one path, numba.zeros, from the third commit on:
the share of its pages it faults in above the cliff, and its compiled code's whole-block
memset (np.zeros_like's too, which the switch also covers). The suite's regression figures of
every other path stay as they are. Nothing here is confirmed in fresh processes, so plain
``asv publish`` (its plugin) lists every step asv flagged as left out
(regressions-unconfirmed.json), and none in regressions.json.
"""

import json
import os
import pathlib
import subprocess

import pytest
from asvtools import ENV, MACHINE, run_asv

from allocbench.history import ledger

pytestmark = pytest.mark.slow

#: The install step's last command: the switch on where the ledger commit says so.
PLANT = (
    'in-dir={env_dir} python -c "import pathlib, sysconfig; '
    "pth = pathlib.Path(sysconfig.get_paths()['purelib']) / 'allocbench_planted.pth'; "
    "on = (pathlib.Path(r'{build_dir}') / 'SWITCH').read_text().strip() == '1'; "
    "pth.write_text('import os; os.environ[\\'ALLOCBENCH_PATCH_NUMBA_ZEROS\\'] = \\'1\\'\\n') "
    'if on else pth.unlink(missing_ok=True)"'
)
PATHS = ("numba.zeros", "numba.empty", "mixed.zeros_in", "allocbench.zeros", "numpy.zeros")
_ALTERNATIVES = "|".join(p.replace(".", r"\.") for p in PATHS)
BENCH = [
    rf"^bench_memory\.PageFaults\.track_pages_faulted_alloc\('({_ALTERNATIVES})', "
    r"'(16 MiB|256 MiB)'\)$",
    r"^bench_explain\.CompiledCode\.track_whole_block_fills",
]


def _git(repo, *args, stdin=None, env=None):
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                          text=True, check=True, env={**os.environ, **(env or {})})  # fmt: skip
    return done.stdout.strip()


def _planted_ledger(repo, switches, candidates):
    """A ledger of numba 0.68.1 commits, one a day, with SWITCH holding 1 or 0: `switches` on
    the main branch, then `candidates` on the candidates branch on top of it."""
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    parent, hashes = None, []
    for day, switch in enumerate([*switches, *candidates], start=1):
        files = {ledger.VERSION_FILE: "0.68.1\n", "SWITCH": f"{switch}\n"}
        entries = "".join(
            f"100644 blob {_git(repo, 'hash-object', '-w', '--stdin', stdin=text)}\t{name}\n"
            for name, text in sorted(files.items())
        )
        tree = _git(repo, "mktree", stdin=entries)
        stamp = f"@{1_700_000_000 + day * 86400} +0000"
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
               "GIT_COMMITTER_DATE": stamp}  # fmt: skip
        args = ["commit-tree", tree] + (["-p", parent] if parent else [])
        parent = _git(repo, *args, stdin=f"planted {day}\n", env=env)
        hashes.append(parent)
        if day == len(switches):
            _git(repo, "update-ref", "refs/heads/main", parent)
    _git(repo, "update-ref", f"refs/heads/{ledger.CANDIDATES}", parent)
    _git(repo, "reset", "--quiet", "--hard", "main")
    return hashes


def _flagged(asv_home, root, tmp, switches, candidates, bench):
    """asv's regressions after the planted ledger (`switches` on main, `candidates` on the
    candidates branch) is measured with the `bench` regexes and published."""
    _, config0, env, _ = asv_home
    hashes = _planted_ledger(tmp / "ledger", switches, candidates)
    conf = json.loads(config0.read_text())
    conf.update(
        repo=str(tmp / "ledger"),
        results_dir=str(tmp / "results"),
        html_dir=str(tmp / "html"),
        install_command=[*conf["install_command"], PLANT],
    )
    config = tmp / "asv.conf.json"
    config.write_text(json.dumps(conf))
    args = ["run", "--machine", MACHINE, "--config", str(config), "ALL", "--show-stderr"]
    for regex in bench:
        args += ["--bench", regex]
    try:
        run_asv(args, root, env, ok=(0, 2))
    finally:
        # The environment is the shared quick run's: whichever commit asv installed last, the
        # switch must not stay on for the tests after this one.
        for planted in pathlib.Path(conf["env_dir"]).glob("*/lib/*/site-packages/*planted.pth"):
            planted.unlink()
    run_asv(["publish", "--config", str(config)], root, env)
    listed = json.loads((tmp / "html" / "regressions.json").read_text())["regressions"]
    assert listed == [], "an unconfirmed step is in the published regressions list"
    left_out = json.loads((tmp / "html" / "regressions-unconfirmed.json").read_text())
    # As asv flagged them: name, graph parameters (the branch), revision after the step, graph.
    return [(d["name"], d["params"], d["revisions"][1], d["graph"]) for d in left_out], hashes


@pytest.fixture(scope="module")
def regressions(asv_home, root, tmp_path_factory):
    """The release regresses at its third commit; no candidates (the branch is main's)."""
    return _flagged(asv_home, root, tmp_path_factory.mktemp("planted"), [1, 1, 0], [], BENCH)


@pytest.fixture(scope="module")
def candidate_regressions(asv_home, root, tmp_path_factory):
    """Two releases as they should be; the first candidate too, the second regresses."""
    tmp = tmp_path_factory.mktemp("candidate")
    return _flagged(asv_home, root, tmp, [1, 1], [1, 0], BENCH[:1])


#: np.zeros_like is switched with np.zeros: its compiled code changes too.
CHANGED = [
    "bench_explain.CompiledCode.track_whole_block_fills('numba.zeros')",
    "bench_explain.CompiledCode.track_whole_block_fills('numba.zeros_like')",
    "bench_memory.PageFaults.track_pages_faulted_alloc('numba.zeros', '256 MiB')",
]


def _on(flagged, branch):
    return sorted((name, after) for name, params, after, _ in flagged
                  if params == {"branch": branch})  # fmt: skip


def test_the_planted_regression_and_nothing_else_is_flagged(regressions):
    flagged, _ = regressions
    # One jump each, at the third commit (revision 2), on the releases' branch only: the
    # candidates branch, here where main is, does not list it a second time.
    assert _on(flagged, "main") == [(name, 2) for name in CHANGED]
    assert len(flagged) == len(CHANGED)


def test_a_candidate_that_regresses_is_flagged_on_its_branch(candidate_regressions):
    flagged, _ = candidate_regressions
    # the second candidate, revision 3, faults every page again
    assert _on(flagged, ledger.CANDIDATES) == [(CHANGED[-1], 3)]
    assert _on(flagged, "main") == []


def test_the_environment_is_the_suites(regressions):
    flagged, _ = regressions
    assert flagged and all(f"python-{ENV[0]}" in graph for *_, graph in flagged)
