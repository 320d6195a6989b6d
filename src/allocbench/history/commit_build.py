"""numba built from its git history at one commit, for one interpreter, cached by commit.

The commit's tree leaves the repository by ``git archive`` into a scratch folder; its
``numba/_version.py`` is written as an sdist's (versioneer's short form) so that
``numba.__version__`` names the commit (``0.54.0dev0+123.gabcdef123456``); the wheel is built
with the interpreter's own pip against its own numpy (``patched_numba.build``: ``pip wheel
--no-build-isolation``, gcc), and installed with the llvmlite the commit's setup.py accepts
(``llvmlite_pin``) into the commit's folder of ``Places.build_folder`` (``pip install
--no-deps --only-binary=:all: --target``). A fresh process then imports it. The folder counts
as built once its ``.complete`` file (what was built, and how long it took) is written.
Anything that fails is ``Unbuildable`` with the reason: a bisection skips that commit.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from allocbench import files
from allocbench.errors import UserError
from allocbench.history import llvmlite_pin, patched_numba
from allocbench.history.confirmations import Places
from allocbench.history.numba_git import Repository, check_sha, release_version_tuple
from allocbench.history.releases import Release, parse_python

#: Marks a build folder whose install finished, and says what it holds.
COMPLETE = ".complete"
#: Seconds a build (pip wheel) and an install may take.
BUILD_TIMEOUT = 1800
#: What an interpreter says of itself.
_ABOUT = "import sys, numpy; print('%d.%d' % sys.version_info[:2], numpy.__version__)"
#: numba/_version.py as versioneer writes an sdist's, in both of its forms: the lines
#: versioneer 0.14 reads (``version_version = '...'``, numba 0.54's) and the JSON block
#: later versioneers read (their pattern wants these quotes and two spaces before the marker).
_VERSION_FILE = """# Written by allocbench bisect from git archive, as versioneer writes an sdist's.
import json

version_version = '{version}'
version_full = '{commit}'
version_json = '''
{data}
'''  # END VERSION_JSON


def get_versions(default=None, verbose=False):
    return dict(json.loads(version_json), full=version_full)
"""


class Unbuildable(Exception):
    """A commit that cannot be built, installed or imported here; the message says why."""


class InterpreterError(UserError):
    """The interpreter given cannot build or run numba; the message says why."""


@dataclass(frozen=True)
class Interpreter:
    """The Python that builds and measures: its path, version and numpy."""

    python: pathlib.Path
    version: str
    numpy: str

    @property
    def key(self) -> str:
        """How its builds are filed: ``py3.8-numpy1.18.5``."""
        return f"py{self.version}-numpy{self.numpy}"


def interpreter(python: pathlib.Path) -> Interpreter:
    """What `python` is: its version and numpy's (InterpreterError where it runs no numpy)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        done = subprocess.run([str(python), "-c", _ABOUT], capture_output=True, text=True,
                              env=env, timeout=120)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(f"cannot run {python}: {exc}") from None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 2:
        raise InterpreterError(f"{python} does not run numpy: {_last_line(done)}")
    version, numpy = words
    parse_python(version)
    if not all(part.isdigit() for part in numpy.split(".")) or len(numpy) > 20:
        raise InterpreterError(f"{python} has numpy {numpy!r:.30}, not a release")
    return Interpreter(pathlib.Path(python), version, numpy)


@dataclass(frozen=True)
class Build:
    """numba built at one commit: where it is installed and what it reports."""

    commit: str
    folder: pathlib.Path
    version: str
    llvmlite: str
    #: How long building, installing and importing it took.
    seconds: float
    #: Found built already (this run built nothing).
    cached: bool


Builder = Callable[[str], Build]


def read_complete(commit: str, folder: pathlib.Path) -> Optional[Build]:
    """The build in `folder`, where it finished; None where it did not."""
    marker = folder / COMPLETE
    if not marker.is_file():
        return None
    try:
        info = files.load_json(marker)
        return Build(commit, folder, str(info["version"]), str(info["llvmlite"]),
                     float(info["seconds"]), True)  # fmt: skip
    except (files.FileError, KeyError, TypeError, ValueError):
        return None


def write_version(source: pathlib.Path, version: str, commit: str) -> None:
    """numba's ``_version.py`` in `source` as versioneer writes an sdist's: `version` for
    commit `commit`, read before any git (there is none in an archive)."""
    fields = {"date": None, "dirty": False, "error": None, "full-revisionid": commit,
              "version": version}  # fmt: skip
    data = json.dumps(fields, sort_keys=True, indent=1, separators=(",", ": "))
    text = _VERSION_FILE.format(version=version, commit=commit, data=data)
    (source / "numba" / "_version.py").write_text(text)


class SourceBuilder:
    """Builds numba at a commit of `repo` for `interp`, into the folders of `places`."""

    def __init__(
        self,
        repo: Repository,
        interp: Interpreter,
        places: Places,
        table: Sequence[Release],
        say: Callable[[str], None] = print,
    ) -> None:
        self.repo, self.interp, self.places, self.table, self.say = (
            repo, interp, places, table, say)  # fmt: skip

    def __call__(self, commit: str) -> Build:
        check_sha(commit)
        folder = self.places.build_folder(self.interp.key, commit)
        found = read_complete(commit, folder)
        if found is not None:
            return found
        started = time.monotonic()
        self.say(f"  building numba at {commit[:12]} with {self.interp.python}")
        try:
            version, llvmlite = self._build(commit, folder)
        except (UserError, OSError, Unbuildable, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise Unbuildable(str(exc)) from None
        seconds = round(time.monotonic() - started, 1)
        info = {"version": version, "llvmlite": llvmlite, "seconds": seconds,
                "python": self.interp.version, "numpy": self.interp.numpy}  # fmt: skip
        files.write_text(folder / COMPLETE, json.dumps(info, indent=1))
        return Build(commit, folder, version, llvmlite, seconds, False)

    def _build(self, commit: str, folder: pathlib.Path) -> tuple:
        python = str(self.interp.python)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="allocbench-bisect-") as tmp:
            scratch = pathlib.Path(tmp)
            tarball = self.repo.archive(commit, scratch / "tree.tar.gz", f"numba-{commit[:12]}")
            source = patched_numba.unpack(tarball, scratch / "src")
            setup_py = (source / "setup.py").read_text(encoding="utf-8", errors="replace")
            span = llvmlite_pin.llvmlite_range(setup_py)
            llvmlite = llvmlite_pin.choose(span, self.table, self.interp.version)
            version = self.repo.describe(commit)
            write_version(source, version, commit)
            patched_numba.check_build_requirements(python)
            log = folder.parent / f"{commit}.log"
            wheel = patched_numba.build(source, scratch / "wheel", log, python)
            self._install(folder, wheel, llvmlite, version)
            self._check_import(folder, version, scratch)
        return version, llvmlite

    def _install(self, folder: pathlib.Path, wheel: pathlib.Path, llvmlite: str,
                 version: str) -> None:  # fmt: skip
        command = [str(self.interp.python), "-m", "pip", "install", "--no-deps",
                   "--only-binary=:all:", "--disable-pip-version-check", "--no-input",
                   "--quiet", "--target", str(folder), str(wheel),
                   f"llvmlite=={llvmlite}"]  # fmt: skip
        minor = release_version_tuple(version)
        if minor is not None and minor <= (0, 55) and parse_python(self.interp.version) >= (3, 9):
            command.append("setuptools<82")  # numba <= 0.55 imports pkg_resources
        done = subprocess.run(command, capture_output=True, text=True, env=_clean_env(),
                              timeout=BUILD_TIMEOUT)  # fmt: skip
        if done.returncode != 0:
            raise Unbuildable(f"pip could not install the wheel with llvmlite {llvmlite}: "
                              f"{_last_line(done)}")  # fmt: skip

    def _check_import(self, folder: pathlib.Path, version: str, cwd: pathlib.Path) -> None:
        env = _clean_env()
        env["PYTHONPATH"] = str(folder)
        env["NUMBA_CACHE_DIR"] = str(cwd / "numba-cache")
        command = [str(self.interp.python), "-c", "import numba; print(numba.__version__)"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=600)  # fmt: skip
        if done.returncode != 0:
            raise Unbuildable(f"numba does not import: {_last_line(done)}")
        if done.stdout.strip() != version:
            raise Unbuildable(f"the build imports as numba {done.stdout.strip()!r:.60}, "
                              f"not {version}")  # fmt: skip


def _clean_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines: List[str] = [x.strip() for x in (done.stderr or done.stdout or "").splitlines()]
    lines = [x for x in lines if x]
    return lines[-1] if lines else f"exit status {done.returncode}"
