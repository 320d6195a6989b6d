"""Two numba releases side by side in one asv environment, measured in fresh processes.

asv's environment holds one numba at a time. Here each release's numba and llvmlite (the
versions the release table gives, nothing else reaches pip) are installed with the
environment's own pip into a folder of their own (``pip install --no-deps --target``, wheels
only), and the environment's python runs ``allocbench.harness.figure`` with that folder first
on PYTHONPATH, the environment's variables (asv.conf.json's env and env_nobuild: glibc's
tunables, the run-time switch, a preloaded malloc) and a numba cache of that release's own.
The processes alternate A B B A A B ..., so that drift of the machine falls on both.
Environments whose numba is not the stock wheel (the patched build) are left out.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench.catalog import ALLOCATORS, PRELOAD_VARIABLE, SWITCH_VARIABLE, TUNABLES_VARIABLE
from allocbench.history import session
from allocbench.history.confirmations import Places
from allocbench.history.environments import Environment, HistoryError, environments
from allocbench.history.releases import Release

#: The runner, and what precedes its JSON line (allocbench.harness.figure.FIGURES_MARK: the
#: history does not import the harness).
RUNNER = "allocbench.harness.figure"
FIGURES_MARK = "ALLOCBENCH-FIGURES "
#: A fresh process that takes longer than this is stopped (a figure hung).
PROCESS_TIMEOUT = 900
#: Marks a release folder whose install finished.
COMPLETE = ".complete"


class SideBySideError(HistoryError):
    """A release cannot be installed or measured beside the other; the message says why."""


@dataclass(frozen=True)
class Setting:
    """One asv environment, as the fresh processes run in it."""

    root: pathlib.Path
    env: Environment
    python: pathlib.Path
    #: The environment's own variables (asv.conf.json's env and env_nobuild).
    variables: Dict[str, str]
    places: Places


def variables_of(env: Environment) -> Dict[str, str]:
    """The variables asv sets for the benchmarks of `env`."""
    found = {TUNABLES_VARIABLE: env.tunables} if env.tunables else {}
    if env.switch:
        found[SWITCH_VARIABLE] = "1"
    if env.allocator:
        found[PRELOAD_VARIABLE] = ALLOCATORS[env.allocator].soname
    return found


def setting(root: pathlib.Path, conf: dict, env_name: str, places: Places) -> Setting:
    """The environment asv named `env_name`, built by asv; SideBySideError where it is not
    there or its numba is not the stock wheel."""
    found = [e for e in environments(conf) if e.name == env_name]
    if not found:
        raise SideBySideError(f"no environment {env_name} in asv.conf.json")
    env = found[0]
    if env.build:
        raise SideBySideError(f"{env_name}: its numba is a patched build, not the release's "
                              "wheel; left out")  # fmt: skip
    python = root / conf.get("env_dir", "env") / env.dir_name / "bin" / "python"
    if not python.exists():
        raise SideBySideError(f"{env_name}: asv has not built it here ({python} is missing); "
                              "run allocbench history first")  # fmt: skip
    return Setting(root, env, python, variables_of(env), places)


def _pip_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PIP_ONLY_BINARY"] = "numba,llvmlite,numpy"
    env.pop("PYTHONPATH", None)
    return env


def install(where: Setting, release: Release) -> pathlib.Path:
    """The folder holding `release`'s numba and llvmlite for `where` (installed once)."""
    if not release.supports(where.env.python, where.env.numpy):
        raise SideBySideError(f"numba {release.numba} does not run in {where.env.name}")
    folder = where.places.release_folder(where.env.dir_name, release.numba)
    if (folder / COMPLETE).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    command = [str(where.python), "-m", "pip", "install", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--quiet", "--target", str(folder),
               f"numba=={release.numba}", f"llvmlite=={release.llvmlite}"]  # fmt: skip
    if release.needs_old_setuptools(where.env.python):
        command.append("setuptools<82")
    print("$ " + " ".join(command), flush=True)
    done = subprocess.run(command, env=_pip_env(), capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SideBySideError(f"pip could not install numba {release.numba} into {folder}: "
                              f"{tail}")  # fmt: skip
    (folder / COMPLETE).write_text(f"numba {release.numba}, llvmlite {release.llvmlite}\n")
    return folder


def process_env(where: Setting, folder: pathlib.Path) -> Dict[str, str]:
    """The variables of a fresh process measuring the release in `folder`."""
    env = dict(os.environ)
    env.update(where.variables)
    source = where.root / "src"
    env["PYTHONPATH"] = os.pathsep.join([str(folder), str(source)])
    env["NUMBA_CACHE_DIR"] = str(folder / "numba-cache")
    return env


def measure_once(
    where: Setting,
    folder: pathlib.Path,
    names: Sequence[str],
    sizes: Sequence[int] = (),
    parts: Sequence[str] = (),
) -> dict:
    """One fresh process of the release in `folder`: every figure of `names` (and the
    anatomy at `sizes`, and each part of `parts` written PART@NBYTES), as
    allocbench.harness.figure prints them."""
    benchmarks = where.root / "benchmarks"
    command = [str(where.python), "-m", RUNNER, "--benchmarks", str(benchmarks)]
    command += [a for n in sizes for a in ("--anatomy", str(n))]
    command += [a for p in parts for a in ("--part", p)]
    command += list(names)
    process = subprocess.Popen(command, cwd=where.root, env=process_env(where, folder),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        session.stop(process)
        raise SideBySideError(f"a fresh process of {folder.name} took more than "
                              f"{PROCESS_TIMEOUT} s") from None  # fmt: skip
    except KeyboardInterrupt:
        session.stop(process)
        raise
    lines = [x for x in out.splitlines() if x.startswith(FIGURES_MARK)]
    if process.returncode != 0 or not lines:
        tail = (err.strip().splitlines() or [f"exit status {process.returncode}"])[-1]
        raise SideBySideError(f"the fresh process of numba {folder.name} failed: {tail}")
    return json.loads(lines[-1][len(FIGURES_MARK) :])


def order(rounds: int) -> List[int]:
    """Which release (0 or 1) each of 2 x `rounds` processes measures: A B B A A B ..."""
    return [i for k in range(rounds) for i in ((0, 1) if k % 2 == 0 else (1, 0))]


def alternate(
    where: Setting,
    folders: Tuple[pathlib.Path, pathlib.Path],
    names: Sequence[str],
    rounds: int,
    sizes: Sequence[int] = (),
    say=None,
) -> Tuple[List[dict], List[dict]]:
    """`rounds` fresh processes of each release, alternating; their outputs per release."""
    outputs: Tuple[List[dict], List[dict]] = ([], [])
    for step, which in enumerate(order(rounds)):
        if say is not None:
            say(f"  process {step + 1}/{2 * rounds}: numba {folders[which].name}")
        outputs[which].append(measure_once(where, folders[which], names, sizes))
    return outputs


def check_versions(outputs: Sequence[dict], expected: str) -> Optional[str]:
    """Why the processes did not run numba `expected`, or None where they all did."""
    seen = {o.get("numba") for o in outputs}
    if seen != {expected}:
        return f"the fresh processes ran numba {', '.join(sorted(map(str, seen)))}, not {expected}"
    return None
