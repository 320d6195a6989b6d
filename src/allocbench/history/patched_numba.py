"""Build a numba wheel whose np.zeros uses calloc (numba issue 7259), from the release's sdist.

Stock numba makes np.zeros inside @njit an np.empty plus a fill that writes every page; the
diff in ``numba_patches/`` gives numba's runtime a zeroed allocation (calloc through its
allocator table) and makes np.zeros and np.zeros_like use it. ``build_wheel`` downloads a
release's sdist with pip, applies the diff with ``patch -p1`` (no fuzz), labels the version
``X+allocbench.calloc`` in ``numba/_version.py`` and builds a wheel with ``pip wheel
--no-build-isolation`` against the numpy and llvmlite installed in the given interpreter.

How to tell a patched numba: ``numba.__version__`` ends in ``+allocbench.calloc``, and (even
if the label were dropped) ``numba.core.runtime._nrt_python.c_helpers`` has the key
``MemInfo_alloc_aligned_zeroed``; ``DETECT`` prints True or False in an interpreter.

Python 3.8 syntax, standard library and packaging only; never imports numba. Nothing the
user types reaches a shell: every command is a list, and only checked versions reach pip.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Dict, List, Sequence

from allocbench import files
from allocbench.errors import UserError
from allocbench.history.releases import parse_version

#: The diffs, shipped as package data beside this module.
PATCH_DIR = pathlib.Path(__file__).with_name("numba_patches")
#: The first numba release the patch is written for (np.zeros an @overload, the runtime's
#: statistics switch); older ones are refused.
FIRST_RELEASE = "0.57.0"
#: Each numba release the diffs were checked on (``git apply --check`` on the release's tagged
#: tree, no fuzz) and the diff (in PATCH_DIR) that applies to it. A release newer than all of
#: them gets the newest release's diff, tried: `apply_patch` says where it does not apply.
PATCHES: Dict[str, str] = dict.fromkeys(
    (
        "0.57.0", "0.57.1", "0.58.0", "0.58.1", "0.59.0", "0.59.1", "0.60.0", "0.61.0",
        "0.61.2", "0.62.0", "0.62.1", "0.63.0", "0.63.1", "0.64.0", "0.65.0", "0.65.1",
        "0.66.0", "0.67.0", "0.68.0", "0.68.1",
    ),
    "calloc-zeros.diff",
)  # fmt: skip
SUPPORTED_VERSIONS = tuple(PATCHES)
#: The local version label a patched build carries: 0.68.1 becomes 0.68.1+allocbench.calloc.
LOCAL_LABEL = "allocbench.calloc"
#: Python source that prints whether the numba it imports has the zeroed allocation.
DETECT = (
    "import numba.core.runtime._nrt_python as m; "
    "print('MemInfo_alloc_aligned_zeroed' in m.c_helpers)"
)

#: What the build needs in the interpreter (import names, which are also what pip installs).
_BUILD_MODULES = ("numpy", "setuptools", "wheel")
_PROBE = """
import importlib.util, sys
missing = [n for n in sys.argv[1:] if importlib.util.find_spec(n) is None]
if "wheel" in missing:
    try:
        import setuptools.command.bdist_wheel  # setuptools >= 70.1 builds wheels itself
        missing.remove("wheel")
    except ImportError:
        pass
print(" ".join(missing))
"""
_VERSION_LINE = re.compile(r'^ "version": "([^"]+)"$', re.MULTILINE)


class CannotBuild(UserError, RuntimeError):
    """The patched wheel cannot be built; the message says why."""


class SdistUnavailable(CannotBuild):
    """pip could not download the sdist (no network, or no such release on the index)."""


def patch_path(version: str) -> pathlib.Path:
    """The diff for numba `version`: its own where it was checked, the newest release's for a
    newer one; UserError for a version that is not a release, is older than FIRST_RELEASE, or
    lies between the releases checked without being one of them (a release withdrawn)."""
    wanted = parse_version(version)
    if version in PATCHES:
        return PATCH_DIR / PATCHES[version]
    newest = max(PATCHES, key=parse_version)
    if wanted < parse_version(FIRST_RELEASE):
        raise CannotBuild(
            f"no calloc patch for numba {version}: the patch is for numba {FIRST_RELEASE} "
            f"and later (checked on {FIRST_RELEASE} to {newest})"
        )
    if wanted < parse_version(newest):
        raise CannotBuild(
            f"no calloc patch for numba {version}: not one of the releases the patch was "
            f"checked on (those of the release table from {FIRST_RELEASE} to {newest})"
        )
    return PATCH_DIR / PATCHES[newest]


def patch_digest(version: str) -> str:
    """The SHA-256 of `version`'s diff, to key caches of built wheels on."""
    return hashlib.sha256(patch_path(version).read_bytes()).hexdigest()


def patched_version(version: str) -> str:
    """The version a patched build of `version` reports: ``0.68.1+allocbench.calloc``."""
    return f"{version}+{LOCAL_LABEL}"


def build_wheel(version: str, out_dir: pathlib.Path, python: str = sys.executable) -> pathlib.Path:
    """Build the patched numba `version` with `python` into `out_dir`; the wheel's path.
    The version and the folder are checked before anything is run or made."""
    diff = patch_path(version)
    out_dir = check_out_dir(out_dir)
    check_build_requirements(python)
    make_out_dir(out_dir)
    with tempfile.TemporaryDirectory(prefix="allocbench-numba-") as tmp:
        sdist = download_sdist(version, pathlib.Path(tmp), python)
        source = unpack(sdist, pathlib.Path(tmp) / "src")
        apply_patch(source, diff, version)
        set_local_version(source, version)
        log = out_dir / f"numba-{patched_version(version)}-build.log"
        return keep_wheel(build(source, pathlib.Path(tmp) / "wheel", log, python), out_dir)


def make_out_dir(out_dir: pathlib.Path) -> None:
    """Make the wheel's folder, with its parents; CannotBuild where it cannot be made."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotBuild(f"cannot make the folder {out_dir}: {exc.strerror or exc}") from None


def keep_wheel(wheel: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """Copy the built `wheel` into `out_dir` whole (never a partial file); its new path."""
    target = out_dir / wheel.name
    with files.replacing(target) as temporary:
        shutil.copyfile(wheel, temporary)
    return target


def check_out_dir(out_dir: pathlib.Path) -> pathlib.Path:
    """`out_dir` as an absolute path; CannotBuild where it, or the nearest folder above it
    that exists, is not a folder (a file, a FIFO, a dangling link), so that nothing is built
    for a wheel that could not be kept."""
    try:
        path = pathlib.Path(os.path.abspath(out_dir))
        for each in (path, *path.parents):
            if os.path.lexists(each):
                break
        is_folder = os.path.isdir(each)
        path = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links (Python < 3.13)
        raise CannotBuild(f"cannot use {out_dir} for the wheel: {exc}") from None
    if not is_folder:
        raise CannotBuild(f"{each} exists and is not a folder: the wheel cannot go there")
    return path


def check_build_requirements(python: str) -> None:
    """CannotBuild unless `python` runs and has numpy, setuptools and a wheel builder."""
    done = _run([python, "-c", _PROBE, *_BUILD_MODULES], f"could not run {python}")
    missing = done.stdout.split()
    if missing:
        raise CannotBuild(
            f"{python} lacks {', '.join(missing)}; numba builds against the numpy "
            f"installed there, with setuptools and wheel: {python} -m pip install "
            f"{' '.join(missing)}"
        )


def download_sdist(version: str, dest: pathlib.Path, python: str) -> pathlib.Path:
    """numba `version`'s sdist, downloaded by pip into `dest`."""
    command = [
        python, "-m", "pip", "download", "--no-deps", "--no-binary", "numba",
        "--disable-pip-version-check", "--no-input", "-d", str(dest), f"numba=={version}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    found = sorted(dest.glob(f"numba-{version}.tar.gz"))
    if done.returncode != 0 or not found:
        raise SdistUnavailable(
            f"pip could not download the numba {version} sdist: {_last_line(done)}"
        )
    return found[0]


def unpack(sdist: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    """Unpack `sdist` into `dest`; its one top directory (numba-X)."""
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
        for member in members:
            if not _inside(member.name) or not (member.isfile() or member.isdir()):
                raise CannotBuild(f"{sdist.name}: unexpected member {member.name!r}")
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.8.17 and later
            archive.extractall(dest, members=members, filter="data")
        else:
            archive.extractall(dest, members=members)
    tops = [p for p in dest.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise CannotBuild(f"{sdist.name}: expected one top directory, found {len(tops)}")
    return tops[0]


def apply_patch(source: pathlib.Path, diff: pathlib.Path, version: str) -> None:
    """Apply `diff` to the source tree with ``patch -p1``: checked with --dry-run first, so
    a diff that does not apply exactly (offsets allowed, no fuzz) changes nothing."""
    patch = shutil.which("patch")
    if patch is None:
        raise CannotBuild("the patch program is not installed (apt-get install patch)")
    base = [patch, "-p1", "--batch", "--forward", "--fuzz=0", "-d", str(source), "-i", str(diff)]
    done = subprocess.run([*base, "--dry-run"], capture_output=True, text=True)
    if done.returncode != 0:
        checked = "" if version in PATCHES else (
            f" (numba {version} is newer than the releases it was checked on)")  # fmt: skip
        raise CannotBuild(
            f"{diff.name} does not apply cleanly to numba {version}{checked}: "
            f"{_first_failure(done)}"
        )
    _run(base, f"patch failed on numba {version}")


def set_local_version(source: pathlib.Path, version: str) -> None:
    """Write the local version label into the sdist's versioneer file.

    An sdist's ``numba/_version.py`` holds the version as JSON and versioneer reads it
    before anything else (there is no git), so setup.py, the wheel's metadata and
    ``numba.__version__`` all get ``X+allocbench.calloc``.
    """
    path = source / "numba" / "_version.py"
    text = path.read_text(encoding="utf-8")
    found = _VERSION_LINE.findall(text)
    if found != [version]:
        raise CannotBuild(f"{path.name} of numba {version} names versions {found}, not [{version}]")
    label = f' "version": "{patched_version(version)}"'
    path.write_text(_VERSION_LINE.sub(label, text), encoding="utf-8")


def build(
    source: pathlib.Path, wheel_dir: pathlib.Path, log: pathlib.Path, python: str
) -> pathlib.Path:
    """Build the wheel of `source` with `python`, without build isolation, into the empty
    `wheel_dir`; its path. pip's output goes to `log`."""
    command = [
        python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "--no-input", "-w", str(wheel_dir), str(source),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise CannotBuild(f"building {source.name} failed ({_last_line(done)}); see {log}")
    wheels = sorted(wheel_dir.glob("numba-*.whl"))
    if len(wheels) != 1:
        raise CannotBuild(f"pip wheel left {len(wheels)} numba wheels, not 1, in {wheel_dir}")
    return wheels[0]


def _run(command: List[str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise CannotBuild(f"{what}: {exc.strerror}") from None
    if done.returncode != 0:
        raise CannotBuild(f"{what}: {_last_line(done)}")
    return done


def _inside(name: str) -> bool:
    """Whether an archive member's name stays inside the directory it is unpacked in."""
    path = pathlib.PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _last_line(done: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout or "").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else f"exit status {done.returncode}"


def _first_failure(done: subprocess.CompletedProcess) -> str:
    """The first line of patch's output that says what went wrong."""
    lines: Sequence[str] = (done.stdout + done.stderr).splitlines()
    for line in lines:
        if "FAILED" in line or "fuzz" in line or "can't find" in line or "Reversed" in line:
            return line.strip()
    return _last_line(done)
