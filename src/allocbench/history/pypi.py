"""numba's releases as the package index tells them, for ``allocbench releases --refresh``.

Versions, first upload dates and wheel tags come from the index's standard JSON API
(PEP 691); the llvmlite a release installs with and the numpy range it declares come from
pip's own resolver (``pip install --dry-run --report``), so nothing here parses wheels.
Only versions that are plain digits and dots ever reach pip.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from allocbench.errors import UserError
from allocbench.history.releases import (
    Release,
    TableError,
    check_order,
    parse_date,
    parse_python,
    parse_version,
)

DEFAULT_INDEX = "https://pypi.org/simple/"
JSON_API = "application/vnd.pypi.simple.v1+json"
FIRST_MINOR = (0, 48)

#: numba before 0.57 declares no numpy upper bound, but numba 0.48.0 and 0.53.1 were measured
#: to fail at import with numpy 1.24.4 (np.long is gone); every later numba declares one.
OLD_NUMPY_CAP = "<1.24"
OLD_NUMPY_CAP_BEFORE = (0, 57)
OLD_NUMPY_CAP_NOTE = "numpy cap measured: numba 0.48.0 and 0.53.1 fail at import with numpy 1.24"


class PackageIndexError(UserError, RuntimeError):
    """The package index could not be asked, or answered something unexpected."""


def index_url() -> str:
    """The simple index pip uses (PIP_INDEX_URL), or PyPI's; only http(s) addresses."""
    url = os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise PackageIndexError(f"the package index must be an http(s) address, not {url!r}")
    return url if url.endswith("/") else url + "/"


def fetch_project(name: str = "numba", timeout: float = 60) -> dict:
    """The index's PEP 691 JSON page for project `name`."""
    url = urllib.parse.urljoin(index_url(), urllib.parse.quote(name) + "/")
    request = urllib.request.Request(url, headers={"Accept": JSON_API})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            kind = response.headers.get("Content-Type", "")
            body = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise PackageIndexError(f"cannot reach the package index at {url}: {exc}") from None
    if JSON_API not in kind:
        raise PackageIndexError(f"{url} did not answer with the JSON API (got {kind or 'no type'})")
    try:
        page = json.loads(body)
        page["files"]
    except (ValueError, KeyError, TypeError):
        raise PackageIndexError(f"{url}: not a PEP 691 project page") from None
    return page


def _file_facts(filename: str) -> Optional[Tuple[str, List[str]]]:
    """(version, Pythons it has CPython wheels for) of one of numba's files; None for a file
    that is not numba's wheel or sdist."""
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            pythons = [f"3.{t.interpreter[3:]}" for t in tags if t.interpreter.startswith("cp3")]
        else:
            name, version = parse_sdist_filename(filename)
            pythons = []
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return (str(version), pythons) if name == "numba" else None


def final_releases(page: dict) -> Dict[str, Tuple[datetime.datetime, Tuple[str, ...]]]:
    """{version: (first upload, Pythons with wheels)} for every final, unyanked release."""
    uploads: Dict[str, List[datetime.datetime]] = collections.defaultdict(list)
    pythons: Dict[str, set] = collections.defaultdict(set)
    for entry in page["files"]:
        facts = _file_facts(entry.get("filename", ""))
        if facts is None or entry.get("yanked") or not _is_final(facts[0]):
            continue
        version = facts[0]
        when = entry.get("upload-time")
        if when:
            uploads[version].append(parse_date(when.split(".")[0].rstrip("Z") + "Z"))
        pythons[version].update(facts[1])
    return {
        version: (min(uploads[version]), tuple(sorted(pythons[version], key=parse_python)))
        for version in uploads
        if pythons[version]
    }


def _is_final(version: str) -> bool:
    try:
        parse_version(version)
    except TableError:
        return False
    return True


def newest_patches(versions: Sequence[str]) -> List[str]:
    """The newest patch of each minor, from 0.48 on, in version order."""
    newest: Dict[Tuple[int, ...], Version] = {}
    for version in versions:
        key = parse_version(version)
        minor = key.release[:2]
        if minor >= FIRST_MINOR and (minor not in newest or key > newest[minor]):
            newest[minor] = key
    return [str(key) for key in sorted(newest.values())]


def numpy_range(requires_dist: Sequence[str]) -> Optional[str]:
    """The numpy clauses of a wheel's Requires-Dist, joined: '>=1.18,<1.23' or None."""
    clauses: List[str] = []
    for text in requires_dist:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) == "numpy":
            clauses += [str(clause) for clause in requirement.specifier]
    unique = sorted(set(clauses), key=lambda c: (not c.startswith(">"), c))
    return ",".join(unique) or None


def resolve(version: str, python: str) -> Tuple[str, str]:
    """(llvmlite version, numpy range) that pip resolves for numba `version` on `python`."""
    parse_version(version)
    parse_python(python)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                   "--only-binary=:all:", "--python-version", python, "--quiet",
                   "--report", report, f"numba=={version}"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise PackageIndexError(f"pip cannot resolve numba {version} for Python {python}:\n"
                              + done.stderr.strip()[-2000:])  # fmt: skip
        with open(report, encoding="utf-8") as f:
            installs = {
                i["metadata"]["name"].lower(): i["metadata"] for i in json.load(f)["install"]
            }
    numba_meta, llvmlite_meta = installs.get("numba"), installs.get("llvmlite")
    if numba_meta is None or llvmlite_meta is None:
        raise PackageIndexError(f"pip's report for numba {version} names no numba or no llvmlite")
    numpy = numpy_range(numba_meta.get("requires_dist") or [])
    if numpy is None:
        raise PackageIndexError(f"numba {version} declares no numpy requirement")
    return llvmlite_meta["version"], numpy


def release_from_index(
    version: str, released: datetime.datetime, pythons: Sequence[str]
) -> Release:
    """A table row for numba `version`, with llvmlite and numpy from pip's resolver."""
    llvmlite, numpy = resolve(version, pythons[-1])
    note = ""
    if parse_version(version).release[:2] < OLD_NUMPY_CAP_BEFORE and "<" not in numpy:
        numpy, note = f"{numpy},{OLD_NUMPY_CAP}", OLD_NUMPY_CAP_NOTE
    return Release(version, released, llvmlite, pythons, numpy, note)


def new_releases(table: Sequence[Release], page: dict) -> Tuple[List[Release], List[str]]:
    """Rows to append for releases newer than the table's last, in release order, and the
    versions left out: patches of older minors released after a newer version."""
    known = final_releases(page)
    last = table[-1]
    candidates = [v for v in known if parse_version(v) > last.key]
    added: List[Release] = []
    skipped: List[str] = []
    newest = last.key
    for version in sorted(candidates, key=lambda v: (known[v][0], parse_version(v))):
        if parse_version(version) < newest:
            skipped.append(version)
            continue
        released, pythons = known[version]
        added.append(release_from_index(version, released, pythons))
        newest = parse_version(version)
    check_order(list(table) + added)
    return added, skipped


def table_from_index(page: dict) -> List[Release]:
    """A whole table: the newest patch of every minor from 0.48 on."""
    known = final_releases(page)
    rows = [release_from_index(v, *known[v]) for v in newest_patches(list(known))]
    check_order(rows)
    return rows
