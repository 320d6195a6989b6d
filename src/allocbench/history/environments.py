"""The environments of asv.conf.json as the history sees them: a Python, a numpy, tunables.

Names and folders are asv's own (``asv.environment.get_env_name``), so what the history
plans is what asv runs. Also what asv needs in its own environment to run them.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from allocbench import files
from allocbench.catalog import (
    ALLOCATORS,
    BUILD_VARIABLE,
    PRELOAD_VARIABLE,
    SWITCH_VARIABLE,
    TUNABLES_VARIABLE,
)
from allocbench.errors import UserError
from allocbench.history import interpreters
from allocbench.history.install_release import PATCHED
from allocbench.history.patched_numba import SUPPORTED_VERSIONS as PATCHED_RELEASES
from allocbench.history.releases import Release


class HistoryError(UserError, RuntimeError):
    """The history job cannot start or cannot finish; the message says why."""


def load_config(root: pathlib.Path) -> dict:
    """asv.conf.json of the repository at `root`."""
    path = root / "asv.conf.json"
    try:
        conf = files.load_json(path)
    except files.FileError as exc:
        raise HistoryError(f"cannot read asv's configuration: {exc}") from None
    if not isinstance(conf, dict):
        raise HistoryError(f"{path}: not asv's configuration (not a JSON object)")
    return conf


#: The first numba the run-time switch (allocbench.patch_numba_zeros) works on.
SWITCH_FROM = (0, 54)


@dataclass(frozen=True)
class Environment:
    """One environment of asv.conf.json: a Python, a pinned numpy, and maybe glibc tunables, the
    run-time switch or another malloc, set for the benchmarks only (asv's env_nobuild: same
    virtualenv), or numba's patched build."""

    python: str
    numpy: str
    #: GLIBC_TUNABLES's value, if set.
    tunables: Optional[str] = None
    #: Whether ALLOCBENCH_PATCH_NUMBA_ZEROS=1 is set: numba's own np.zeros made lazy.
    switch: bool = False
    #: ALLOCBENCH_NUMBA_BUILD's value ("patched"), set at build time too (asv's env): numba
    #: built from its sdist with allocbench's calloc patch, in a virtualenv of its own.
    build: Optional[str] = None
    #: The name of the allocator preloaded in place of glibc's malloc (catalog.ALLOCATORS).
    allocator: Optional[str] = None

    @property
    def plain(self) -> bool:
        """Stock numba under glibc's defaults: no variable set."""
        return not self._tagged()

    def supports(self, release: Release) -> bool:
        if self.switch and release.key.release[:2] < SWITCH_FROM:
            return False
        if self.build and release.numba not in PATCHED_RELEASES:
            return False
        return release.supports(self.python, self.numpy)

    def _tagged(self) -> Dict[Tuple[str, str], str]:
        tagged = {("nobuild", TUNABLES_VARIABLE): self.tunables} if self.tunables else {}
        if self.switch:
            tagged[("nobuild", SWITCH_VARIABLE)] = "1"
        if self.build:
            tagged[("build", BUILD_VARIABLE)] = self.build
        if self.allocator:
            tagged[("nobuild", PRELOAD_VARIABLE)] = ALLOCATORS[self.allocator].soname
        return tagged

    @property
    def dir_name(self) -> str:
        """The folder asv keeps this environment's virtualenv in (shared by its tunables)."""
        from asv.environment import get_env_name

        build = get_env_name("virtualenv", self.python, {"numpy": self.numpy}, self._tagged(),
                             build=True)  # fmt: skip
        return hashlib.md5(build.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        """The name asv gives the environment (and its results files)."""
        from asv.environment import get_env_name

        return get_env_name("virtualenv", self.python, {"numpy": self.numpy}, self._tagged())


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


def _allocator(preload: Optional[str]) -> Optional[str]:
    """The catalog allocator `preload` (an LD_PRELOAD value) names; KeyError for anything
    else, so that nothing but a known library's file name is ever preloaded."""
    if preload is None:
        return None
    for allocator in ALLOCATORS.values():
        if preload == allocator.soname:
            return allocator.name
    known = ", ".join(a.soname for a in ALLOCATORS.values())
    raise KeyError(f"{PRELOAD_VARIABLE}={preload!r} is none of {known}")


def environments(conf: dict) -> List[Environment]:
    """Every environment asv.conf.json defines."""
    envs = []
    for entry in conf.get("include", []):
        try:
            nobuild, build = entry.get("env_nobuild", {}), entry.get("env", {})
            switch = nobuild.get(SWITCH_VARIABLE, "1")
            allowed = {TUNABLES_VARIABLE, SWITCH_VARIABLE, PRELOAD_VARIABLE}
            if set(nobuild) - allowed or switch != "1":
                raise KeyError(f"env_nobuild other than {TUNABLES_VARIABLE}, "
                               f"{SWITCH_VARIABLE}=1 and {PRELOAD_VARIABLE}")  # fmt: skip
            if set(build) - {BUILD_VARIABLE} or build.get(BUILD_VARIABLE, PATCHED) != PATCHED:
                raise KeyError(f"env other than {BUILD_VARIABLE}={PATCHED}")
            envs.append(Environment(entry["python"], entry["req"]["numpy"],
                                    nobuild.get(TUNABLES_VARIABLE), SWITCH_VARIABLE in nobuild,
                                    build.get(BUILD_VARIABLE),
                                    _allocator(nobuild.get(PRELOAD_VARIABLE))))  # fmt: skip
        except (KeyError, TypeError, AttributeError) as exc:
            raise HistoryError(f"asv.conf.json: an environment the history cannot run: "
                               f"{entry} ({exc})") from None  # fmt: skip
    return envs


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
