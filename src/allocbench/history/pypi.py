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
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, List, Optional, Sequence, Tuple

from allocbench.errors import UserError
from allocbench.history.releases import (
    VERSION,
    Release,
    TableError,
    check_order,
    parse_date,
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

_FILENAME = re.compile(r"^numba-([^-]+?)(?:\.tar\.gz|\.zip|-.*\.whl)$")
_WHEEL_PYTHON = re.compile(r"-cp3(\d+)-")


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


def final_releases(page: dict) -> Dict[str, Tuple[datetime.datetime, Tuple[str, ...]]]:
    """{version: (first upload, Pythons with wheels)} for every final, unyanked release."""
    uploads: Dict[str, List[datetime.datetime]] = collections.defaultdict(list)
    pythons: Dict[str, set] = collections.defaultdict(set)
    for entry in page["files"]:
        match = _FILENAME.match(entry.get("filename", ""))
        if not match or not VERSION.match(match.group(1)) or entry.get("yanked"):
            continue
        version = match.group(1)
        when = entry.get("upload-time")
        if when:
            uploads[version].append(parse_date(when.split(".")[0].rstrip("Z") + "Z"))
        tag = _WHEEL_PYTHON.search(entry["filename"])
        if tag:
            pythons[version].add(f"3.{tag.group(1)}")
    return {
        version: (min(uploads[version]), tuple(sorted(pythons[version], key=_minor)))
        for version in uploads
        if pythons[version]
    }


def _minor(python: str) -> int:
    return int(python.split(".")[1])


def newest_patches(versions: Sequence[str]) -> List[str]:
    """The newest patch of each minor, from 0.48 on, in version order."""
    newest: Dict[Tuple[int, int], Tuple[int, int, int]] = {}
    for version in versions:
        key = parse_version(version)
        if key[:2] >= FIRST_MINOR and key > newest.get(key[:2], (0, 0, -1)):
            newest[key[:2]] = key
    return [".".join(map(str, key)) for key in sorted(newest.values())]


def numpy_range(requires_dist: Sequence[str]) -> Optional[str]:
    """The numpy clauses of a wheel's Requires-Dist, joined: '>=1.18,<1.23' or None."""
    clauses: List[str] = []
    for requirement in requires_dist:
        spec = requirement.split(";")[0].strip()
        match = re.match(r"^numpy\s*\(?([^)]*)\)?$", spec, re.IGNORECASE)
        if match:
            clauses += [c.strip() for c in match.group(1).split(",") if c.strip()]
    unique = sorted(set(clauses), key=lambda c: (not c.startswith(">"), c))
    return ",".join(unique) or None


def resolve(version: str, python: str) -> Tuple[str, str]:
    """(llvmlite version, numpy range) that pip resolves for numba `version` on `python`."""
    parse_version(version)
    if not re.match(r"^3\.\d+$", python):
        raise TableError(f"not a Python version like 3.11: {python!r}")
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
    if parse_version(version)[:2] < OLD_NUMPY_CAP_BEFORE and "<" not in numpy:
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
