"""The main job: numba's releases through asv, environment by environment, then the site.

Builds the release ledger, exposes the interpreters the environments need, and runs asv in
each environment of ``asv.conf.json`` over the chosen releases that can run there (the
release table decides, so no time goes into installs that cannot work), then publishes the
site. Results already on disk are kept and not measured again unless asked.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench import interpreters, ledger
from allocbench.paths import HEADLINE_PATHS
from allocbench.releases import Release, find
from allocbench.sizes import HISTORY_SIZES, USE_HISTORY_SIZES

#: The seed's version; 0.55.2, which runs on both the Python 3.8 and the 3.10 environment
#: and so joins their series; the first release with Python 3.11 wheels. The newest is added.
DEFAULT_RELEASES = ("0.48.0", "0.55.2", "0.57.1")


#: Allocation + write in the history: numpy's and numba's zeros, the fix, and np.empty in @njit
#: (the advice for arrays whose every element is written anyway).
WRITE_PATHS = ("numpy.zeros", "numba.zeros", "numba.empty", "allocbench.zeros")


class HistoryError(RuntimeError):
    """The history job cannot start or cannot finish; the message says why."""


def _alternatives(params: Sequence[object]) -> str:
    return "|".join(re.escape(repr(p)) for p in params)


def history_benchmarks() -> List[str]:
    """asv --bench regexes for the history: headline paths at the sizes around the cliff,
    the seed's own benchmarks, and the cliff's bisection."""
    paths, writers = _alternatives(HEADLINE_PATHS), _alternatives(WRITE_PATHS)
    return [
        rf"^bench_alloc\.Alloc\.time_alloc\(({paths}), ({_alternatives(HISTORY_SIZES)})\)$",
        rf"^bench_alloc\.AllocAndWrite\.time_alloc_and_write\(({writers}), "
        rf"({_alternatives(USE_HISTORY_SIZES)})\)$",
        r"^bench_seed\.",
        r"^bench_cliff\.",
    ]


def load_config(root: pathlib.Path) -> dict:
    """asv.conf.json of the repository at `root`."""
    path = root / "asv.conf.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HistoryError(f"cannot read {path}: {exc}") from None


def environments(conf: dict) -> List[Tuple[str, str]]:
    """(python, numpy) of every environment asv.conf.json defines."""
    envs = []
    for entry in conf.get("include", []):
        try:
            envs.append((entry["python"], entry["req"]["numpy"]))
        except (KeyError, TypeError):
            raise HistoryError(
                f"asv.conf.json: an environment without python/numpy: {entry}"
            ) from None
    return envs


def env_name(python: str, numpy: str) -> str:
    """The name asv gives the environment (and its results files)."""
    from asv.environment import get_env_name

    return get_env_name("virtualenv", python, {"numpy": numpy}, {})


def plan(
    releases: Sequence[Release], envs: Sequence[Tuple[str, str]]
) -> Dict[Tuple[str, str], List[Release]]:
    """For each environment, the chosen releases that can run in it."""
    return {env: [r for r in releases if r.supports(*env)] for env in envs}


def choose(table: Sequence[Release], versions: Optional[Sequence[str]]) -> List[Release]:
    """The releases named (checked against the table), or the default set plus the newest."""
    if versions is None:
        versions = [*list(DEFAULT_RELEASES), table[-1].numba]
    chosen = {find(table, v).numba for v in versions}
    return [r for r in table if r.numba in chosen]


def _run(command: List[str], root: pathlib.Path, env: dict, ok: Tuple[int, ...] = (0,)) -> int:
    print("$ " + " ".join(command), flush=True)
    code = subprocess.run(command, cwd=root, env=env).returncode
    if code not in ok:
        raise HistoryError(f"{' '.join(command[:4])} ... failed with exit status {code}")
    return code


def run(
    root: pathlib.Path,
    table: Sequence[Release],
    versions: Optional[Sequence[str]] = None,
    bench: Optional[Sequence[str]] = None,
    rerun: bool = False,
    publish: bool = True,
    quick: bool = False,
) -> Dict[str, List[str]]:
    """Run the history job; {environment name: versions run}."""
    chosen = choose(table, versions)
    conf = load_config(root)
    envs = environments(conf)
    for python, numpy in envs:
        if not any(r.supports(python, numpy) for r in table):
            raise HistoryError(f"no release in the table runs on Python {python}, numpy {numpy}")
    hashes = dict(zip((r.numba for r in table), ledger.build(table, root / conf["repo"])))

    bindir = root / ".asv" / "bin"
    found = interpreters.expose([p for p, _ in envs], bindir)
    env = dict(os.environ, PATH=interpreters.path_with(bindir))
    env.setdefault("PIP_ONLY_BINARY", "numba,llvmlite,numpy")
    asv = [sys.executable, "-m", "asv"]
    if not (pathlib.Path.home() / ".asv-machine.json").exists():
        _run([*asv, "machine", "--yes"], root, env)

    done: Dict[str, List[str]] = {}
    for (python, numpy), runnable in plan(chosen, envs).items():
        name = env_name(python, numpy)
        if not runnable:
            continue
        if found.get(python) is None:
            print(f"skipped {name}: no working python{python} found", file=sys.stderr)
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("".join(hashes[r.numba] + "\n" for r in runnable))
        command = [*asv, "run", "-E", name, f"HASHFILE:{f.name}", "--show-stderr"]
        command += [] if rerun else ["--skip-existing"]
        command += ["--quick"] if quick else []
        for regex in history_benchmarks() if bench is None else bench:
            command += ["--bench", regex]
        started = time.monotonic()
        try:
            # asv exits 2 when some benchmark failed; that is a result, not a stop.
            _run(command, root, env, ok=(0, 2))
        finally:
            os.unlink(f.name)
        print(f"{name}: {len(runnable)} releases in {time.monotonic() - started:.0f} s")
        done[name] = [r.numba for r in runnable]
    if publish:
        _run([*asv, "publish"], root, env)
    return done
