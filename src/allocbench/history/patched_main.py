"""Build numba's main branch with the calloc np.zeros patch, from a local copy of its git.

The tip of main leaves the repository by ``git archive``; the newest release's diff is
applied as to a release (``patched_numba.apply_patch``: no fuzz, checked first); its
``_version.py`` names the commit with the patch's label
(``0.68.0dev0+96.g5340f052d014.allocbench.calloc``); the wheel is built against the
interpreter's numpy. The llvmlite it needs is the newest of the release table inside the range
main's setup.py states (``llvmlite_pin``); where the table has none for the interpreter's
Python, nothing is built and the message says so.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
from dataclasses import dataclass
from typing import Sequence

from allocbench.history import llvmlite_pin, patched_numba
from allocbench.history.commit_build import interpreter, write_version
from allocbench.history.numba_git import Repository
from allocbench.history.releases import Release, parse_version

#: How the command names numba's main branch in place of a version.
MAIN = "main"


@dataclass(frozen=True)
class MainWheel:
    """A patched wheel of numba's main: where it is, the commit, its version and its llvmlite."""

    wheel: pathlib.Path
    commit: str
    version: str
    llvmlite: str


def build_main(
    repo: Repository,
    out_dir: pathlib.Path,
    table: Sequence[Release],
    python: str = sys.executable,
) -> MainWheel:
    """Build main's tip in `repo`, patched, with `python` into `out_dir`."""
    out_dir = patched_numba.check_out_dir(out_dir)
    patched_numba.check_build_requirements(python)
    interp = interpreter(pathlib.Path(python))
    commit = repo.main()
    version = f"{repo.describe(commit)}.{patched_numba.LOCAL_LABEL}"
    diff = patched_numba.patch_path(max(patched_numba.PATCHES, key=parse_version))
    patched_numba.make_out_dir(out_dir)
    with tempfile.TemporaryDirectory(prefix="allocbench-numba-main-") as tmp:
        scratch = pathlib.Path(tmp)
        tarball = repo.archive(commit, scratch / "tree.tar.gz", f"numba-{commit[:12]}")
        source = patched_numba.unpack(tarball, scratch / "src")
        setup_py = (source / "setup.py").read_text(encoding="utf-8", errors="replace")
        llvmlite = llvmlite_pin.choose(llvmlite_pin.llvmlite_range(setup_py), table,
                                       interp.version)  # fmt: skip
        patched_numba.apply_patch(source, diff, f"{MAIN} ({commit[:12]})")
        write_version(source, version, commit)
        log = out_dir / f"numba-{version}-build.log"
        wheel = patched_numba.build(source, scratch / "wheel", log, python)
        target = patched_numba.keep_wheel(wheel, out_dir)
    return MainWheel(target, commit, version, llvmlite)
