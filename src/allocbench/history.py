"""The main job: numba's releases through asv, environment by environment, then the site.

Builds the release ledger, exposes the interpreters the environments need, and runs asv in
each environment of ``asv.conf.json`` over the chosen releases that can run there (the
release table decides, so no time goes into installs that cannot work), then publishes the
site. Results already on disk are kept and not measured again unless asked.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench import interpreters, ledger, probes
from allocbench.paths import HEADLINE_PATHS
from allocbench.releases import Release, find
from allocbench.sizes import HISTORY_SIZES, USE_HISTORY_SIZES

#: The seed's version, the first with Python 3.9 wheels, the first with Python 3.11 wheels; the
#: newest is added.
DEFAULT_RELEASES = ("0.48.0", "0.53.1", "0.57.1")
#: Environments that join the others' series (Python 3.10 runs 0.55-0.60 beside both Python 3.8
#: and 3.11), which only `--all` or `--releases` needs: the default releases share none with it.
BRIDGE_ENVS = ("virtualenv-py3.10-numpy1.22.4",)


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
        r"^bench_machine\.",
    ]


def tunables_benchmarks() -> List[str]:
    """The lighter selection for environments under glibc tunables: where the cliff moves to
    (the bisection) and allocation alone on the history grid."""
    return [history_benchmarks()[0], r"^bench_cliff\.", r"^bench_machine\."]


def load_config(root: pathlib.Path) -> dict:
    """asv.conf.json of the repository at `root`."""
    path = root / "asv.conf.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HistoryError(f"cannot read {path}: {exc}") from None


@dataclass(frozen=True)
class Environment:
    """One environment of asv.conf.json: a Python, a pinned numpy, maybe glibc tunables."""

    python: str
    numpy: str
    #: GLIBC_TUNABLES set for the benchmarks only (asv's env_nobuild): same virtualenv.
    tunables: Optional[str] = None

    def supports(self, release: Release) -> bool:
        return release.supports(self.python, self.numpy)

    @property
    def dir_name(self) -> str:
        """The folder asv keeps this environment's virtualenv in (shared by its tunables)."""
        from asv.environment import get_env_name

        build = get_env_name("virtualenv", self.python, {"numpy": self.numpy}, {}, build=True)
        return hashlib.md5(build.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        """The name asv gives the environment (and its results files)."""
        from asv.environment import get_env_name

        tagged = {("nobuild", "GLIBC_TUNABLES"): self.tunables} if self.tunables else {}
        return get_env_name("virtualenv", self.python, {"numpy": self.numpy}, tagged)


def _digest(folder: pathlib.Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".tsv"))
    sha = hashlib.sha256()
    for path in files:
        sha.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def forget_stale_install(env_dir: pathlib.Path, source: pathlib.Path) -> bool:
    """Make asv reinstall the environment if its copy of the package differs from `source`.

    asv reinstalls only when the commit changes, but the package is the suite's own, taken
    from this checkout: after it changes, the environment would run the old one.
    """
    status = env_dir / "asv-install-status.json"
    installed = list(env_dir.glob("lib/python*/site-packages/allocbench"))
    if not status.exists() or (installed and _digest(installed[0]) == _digest(source)):
        return False
    status.unlink()
    return True


def environments(conf: dict) -> List[Environment]:
    """Every environment asv.conf.json defines."""
    envs = []
    for entry in conf.get("include", []):
        try:
            nobuild = entry.get("env_nobuild", {})
            if set(nobuild) - {"GLIBC_TUNABLES"}:
                raise KeyError("env_nobuild other than GLIBC_TUNABLES")
            envs.append(Environment(entry["python"], entry["req"]["numpy"],
                                    nobuild.get("GLIBC_TUNABLES")))  # fmt: skip
        except (KeyError, TypeError, AttributeError) as exc:
            raise HistoryError(f"asv.conf.json: an environment the history cannot run: "
                               f"{entry} ({exc})") from None  # fmt: skip
    return envs


def plan(
    releases: Sequence[Release], envs: Sequence[Environment]
) -> Dict[Environment, List[Release]]:
    """For each environment, the chosen releases that can run in it; under glibc tunables
    only the newest of them, since the tunables move glibc's threshold, not numba's code."""
    runs = {env: [r for r in releases if env.supports(r)] for env in envs}
    return {env: chosen[-1:] if env.tunables else chosen for env, chosen in runs.items()}


def choose(table: Sequence[Release], versions: Optional[Sequence[str]]) -> List[Release]:
    """The releases named (checked against the table), or the default set plus the newest."""
    if versions is None:
        versions = [*list(DEFAULT_RELEASES), table[-1].numba]
    chosen = {find(table, v).numba for v in versions}
    return [r for r in table if r.numba in chosen]


def asv_environment(bindir: pathlib.Path, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment variables for asv: the exposed interpreters first on PATH; numba, llvmlite
    and numpy from wheels only (an impossible combination fails in seconds instead of
    compiling); and virtualenv seeding each new environment with the pip it ships for that
    Python. Its periodic update can fetch a pip too new for Python 3.8, which then breaks
    every Python 3.8 environment created after it."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = interpreters.path_with(bindir, env.get("PATH", ""))
    env.setdefault("PIP_ONLY_BINARY", "numba,llvmlite,numpy")
    for tool in ("PIP", "SETUPTOOLS", "WHEEL"):
        env.setdefault(f"VIRTUALENV_{tool}", "embed")
    env.setdefault("VIRTUALENV_NO_PERIODIC_UPDATE", "1")
    return env


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
    only_envs: Optional[Sequence[str]] = None,
    machine: Optional[str] = None,
) -> Dict[str, List[str]]:
    """Run the history job; {environment name: versions run}."""
    chosen = choose(table, versions)
    conf = load_config(root)
    envs = environments(conf)
    for each in envs:
        if not any(each.supports(r) for r in table):
            raise HistoryError(f"no release in the table runs in {each.name}")
    if only_envs:
        unknown = set(only_envs) - {e.name for e in envs}
        if unknown:
            raise HistoryError(f"no such environment: {', '.join(sorted(unknown))}; "
                               f"asv.conf.json has {', '.join(e.name for e in envs)}")  # fmt: skip
        envs = [e for e in envs if e.name in only_envs]
    elif versions is None:
        envs = [e for e in envs if e.name not in BRIDGE_ENVS]
    hashes = dict(zip((r.numba for r in table), ledger.build(table, root / conf["repo"])))

    bindir = root / ".asv" / "bin"
    found = interpreters.expose([e.python for e in envs], bindir)
    env = asv_environment(bindir)
    asv = [sys.executable, "-m", "asv"]
    on = ["--machine", machine] if machine else []
    if machine or not (pathlib.Path.home() / ".asv-machine.json").exists():
        _run([*asv, "machine", "--yes", *on], root, env)

    done: Dict[str, List[str]] = {}
    for each, runnable in plan(chosen, envs).items():
        if not runnable:
            continue
        if found.get(each.python) is None:
            print(f"skipped {each.name}: no working python{each.python} found", file=sys.stderr)
            continue
        if each.tunables and not probes.glibc_version():
            print(f"skipped {each.name}: GLIBC_TUNABLES needs glibc", file=sys.stderr)
            continue
        env_dir = root / conf.get("env_dir", "env") / each.dir_name
        if forget_stale_install(env_dir, root / "src" / "allocbench"):
            print(f"{each.name}: the package changed since it was installed; reinstalling")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("".join(hashes[r.numba] + "\n" for r in runnable))
        command = [*asv, "run", "-E", each.name, f"HASHFILE:{f.name}", "--show-stderr", *on]
        command += [] if rerun else ["--skip-existing"]
        command += ["--quick"] if quick else []
        # asv's forkserver forks after numba and LLVM are loaded, which macOS does not allow.
        command += ["--launch-method", "spawn"] if sys.platform == "darwin" else []
        selection = tunables_benchmarks() if each.tunables else history_benchmarks()
        for regex in selection if bench is None else bench:
            command += ["--bench", regex]
        started = time.monotonic()
        try:
            # asv exits 2 when some benchmark failed; that is a result, not a stop.
            _run(command, root, env, ok=(0, 2))
        finally:
            os.unlink(f.name)
        print(f"{each.name}: {len(runnable)} releases in {time.monotonic() - started:.0f} s")
        done[each.name] = [r.numba for r in runnable]
    if publish:
        _run([*asv, "publish"], root, env)
    return done
