"""asv's install step for a ledger commit: install exactly that numba release, from wheels.

asv runs ``python -m allocbench.history.install_release {build_dir}`` inside each environment after
checking out a ledger commit. The commit names its release in ``NUMBA_VERSION``; the release
table says which llvmlite goes with it and which Pythons and numpy versions it supports. A
combination that cannot work (no wheel for this Python, the environment's numpy out of the
release's range) fails at once, before pip is called, so asv marks the commit n/a in this
environment and goes on. Otherwise pip installs numba and llvmlite from wheels only, with the
environment's numpy pinned where it is, and the new numba is imported once to prove it works.

Runs inside old environments: Python 3.8 syntax.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import List, Optional, Sequence

from allocbench.catalog import BUILD_VARIABLE
from allocbench.errors import UserError
from allocbench.history.ledger import ROW_FILE, VERSION_FILE
from allocbench.history.releases import Release, find, load, parse_table, parse_version

#: Where pkg_resources still exists (numba <= 0.55 imports it).
OLD_SETUPTOOLS = "setuptools<82"


class CannotInstall(UserError):
    """This release cannot be installed into this environment; the message says why."""


def _read(build_dir: str, name: str) -> str:
    path = os.path.join(build_dir, name)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise CannotInstall(f"{path}: {exc.strerror}; is this a ledger commit?") from None


def read_version(build_dir: str) -> str:
    """The numba version a ledger checkout names, checked to be a plain release version or a
    release candidate's."""
    text = _read(build_dir, VERSION_FILE).strip()
    parse_version(text, candidate=True)
    return text


def release_of(build_dir: str, table: Optional[str] = None) -> Release:
    """The row of the release a ledger checkout names: from the release table, or for a
    release candidate from the checkout itself."""
    wanted = read_version(build_dir)
    if not parse_version(wanted, candidate=True).is_prerelease:
        return find(load(table), wanted)
    rows = parse_table(_read(build_dir, ROW_FILE), ROW_FILE, candidates=True)
    if len(rows) != 1 or rows[0].numba != wanted:
        raise CannotInstall(f"{ROW_FILE} does not describe numba {wanted}")
    return rows[0]


def this_python() -> str:
    return "{}.{}".format(*sys.version_info[:2])


def installed_numpy() -> str:
    try:
        return version("numpy")
    except PackageNotFoundError:
        raise CannotInstall("numpy is not installed in this environment") from None


def pip_command(release: Release, python: str, numpy: str) -> List[str]:
    """The pip command that installs `release` next to the pinned `numpy`."""
    if not release.supports(python, numpy):
        reasons = []
        if python not in release.pythons:
            reasons.append(f"it has wheels for Python {', '.join(release.pythons)} only")
        else:
            reasons.append(f"it accepts numpy {release.numpy}, not {numpy}")
        raise CannotInstall(f"numba {release.numba} cannot run here: " + "; ".join(reasons))
    command = [
        sys.executable, "-m", "pip", "install", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input",
        f"numba=={release.numba}", f"llvmlite=={release.llvmlite}", f"numpy=={numpy}",
    ]  # fmt: skip
    if release.needs_old_setuptools(python):
        command.append(OLD_SETUPTOOLS)
    return command


#: Set by an environment of asv.conf.json (asv's "env": at build time too) to measure numba
#: built from its sdist with allocbench's calloc patch instead of the release's wheel.
PATCHED = "patched"


def wheel_cache() -> pathlib.Path:
    """Where patched builds are kept between runs (ALLOCBENCH_WHEELS, or the user's cache)."""
    configured = os.environ.get("ALLOCBENCH_WHEELS")
    base = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache")
    return pathlib.Path(configured) if configured else base / "allocbench" / "wheels"


def patched_wheel(release: Release) -> pathlib.Path:
    """The patched build of `release`, built here with this environment's numpy (cached)."""
    from allocbench.history import patched_numba

    cached = wheel_cache() / patched_numba.patch_digest(release.numba) / this_python()
    found = sorted(cached.glob(f"numba-{patched_numba.patched_version(release.numba)}-*.whl"))
    if found:
        return found[0]
    # numba's own wheels only, elsewhere; here its sdist is what is wanted.
    os.environ["PIP_ONLY_BINARY"] = "llvmlite,numpy"
    return patched_numba.build_wheel(release.numba, cached)


def check_import(expected: str) -> None:
    """Import numba in a fresh interpreter and check its version."""
    probe = "import numba, sys; sys.stdout.write(numba.__version__)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if done.returncode != 0 or done.stdout.strip() != expected:
        tail = done.stderr.strip().splitlines()[-1:] or [done.stdout.strip()]
        raise CannotInstall(f"numba {expected} installed but does not import: {tail[0]}")


def install(build_dir: str, table: Optional[str] = None) -> str:
    """Install the release named by the checkout at `build_dir`; the version installed."""
    release = release_of(build_dir, table)
    wanted = release.numba
    command = pip_command(release, this_python(), installed_numpy())
    build = os.environ.get(BUILD_VARIABLE)
    if build not in (None, "", PATCHED):
        raise CannotInstall(f"{BUILD_VARIABLE}={build!r}: the only build is {PATCHED!r}")
    if build == PATCHED:
        wheel = patched_wheel(release)
        # The release's llvmlite and the pinned numpy from wheels, then the patched numba.
        command = [c for c in command if not c.startswith("numba==")]
        command += ["--no-deps", str(wheel)]
        wanted = wheel.name.split("-")[1]
    print(" ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        raise CannotInstall(f"pip could not install numba {wanted} here")
    check_import(wanted)
    return wanted


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: ``python -m allocbench.history.install_release BUILD_DIR``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m allocbench.history.install_release BUILD_DIR", file=sys.stderr)
        return 2
    try:
        installed = install(args[0])
    except UserError as exc:
        print(f"allocbench install_release: {exc}", file=sys.stderr)
        return 3
    print(f"numba {installed} installed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
