"""Find the Python interpreters the environments need, and expose them to asv as pythonX.Y.

asv looks up each environment's interpreter as ``pythonX.Y`` on PATH. On many machines the
interpreters exist but are not there, or are there only as pyenv shims that fail when run.
This module looks on PATH, in pyenv's and uv's install folders and in the usual system
folders, keeps only interpreters that run and report the wanted version, and links them into
one folder to put first on PATH.
"""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import subprocess
from typing import Dict, Iterable, Iterator, Optional, Union

from allocbench.history.releases import parse_python

PathLike = Union[str, pathlib.Path]


def _roots() -> Iterator[str]:
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    yield from sorted(glob.glob(os.path.join(pyenv, "versions", "*", "bin")), reverse=True)
    uv = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.expanduser("~/.local/share/uv/python")
    yield from sorted(glob.glob(os.path.join(uv, "cpython-*", "bin")), reverse=True)
    yield from ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin")
    yield from sorted(glob.glob("/Library/Frameworks/Python.framework/Versions/*/bin"))
    for toolcache in ("/opt/hostedtoolcache", os.path.expanduser("~/hostedtoolcache")):
        yield from sorted(glob.glob(f"{toolcache}/Python/*/*/bin"), reverse=True)


def candidates(version: str) -> Iterator[str]:
    """Paths that may be Python `version` ('3.8'): PATH first, then install folders."""
    name = f"python{version}"
    on_path = shutil.which(name)
    # pyenv's shims only dispatch to pyenv's own versions, which are searched below.
    if on_path and f"{os.sep}shims{os.sep}" not in on_path:
        yield on_path
    for root in _roots():
        path = os.path.join(root, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            yield path


def reports_version(path: str, version: str) -> bool:
    """Whether the interpreter at `path` runs and is Python `version`."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([path, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def find(version: str) -> Optional[str]:
    """A working interpreter for Python `version` ('3.8'), or None."""
    parse_python(version)
    seen = set()
    for path in candidates(version):
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        if reports_version(path, version):
            return path
    return None


def expose(versions: Iterable[str], directory: PathLike) -> Dict[str, Optional[str]]:
    """Link each found interpreter into `directory` as pythonX.Y; {version: path or None}."""
    folder = pathlib.Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    found: Dict[str, Optional[str]] = {}
    for version in sorted(set(versions), key=lambda v: int(v.split(".")[1])):
        path = find(version)
        found[version] = path
        link = folder / f"python{version}"
        if link.is_symlink() or link.exists():
            link.unlink()
        if path is not None:
            link.symlink_to(os.path.realpath(path))
    return found


def path_with(directory: PathLike, path: Optional[str] = None) -> str:
    """PATH with `directory` first."""
    rest = os.environ.get("PATH", "") if path is None else path
    return os.pathsep.join([str(pathlib.Path(directory).resolve()), rest])
