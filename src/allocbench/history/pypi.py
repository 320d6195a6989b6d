"""numba's releases as the package index tells them, for ``allocbench releases --refresh``.

Versions, first upload dates and wheel tags come from the index's standard JSON API
(PEP 691); the llvmlite a release installs with and the numpy range it declares come from
pip's own resolver (``pip install --dry-run --report``), so nothing here parses wheels.
Only versions that are plain digits and dots ever reach pip. What the index says is bounded
before it is parsed: a file name longer than any numba file's is not numba's, and a version
in it must pass ``releases.parse_version`` (32 characters at most), so no digits beyond
Python's limit are ever converted.
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
from packaging.version import InvalidVersion

from allocbench.errors import UserError
from allocbench.history.releases import (
    PYTHON,
    Release,
    TableError,
    check_order,
    parse_date,
    parse_python,
    parse_version,
    shown,
)

DEFAULT_INDEX = "https://pypi.org/simple/"
JSON_API = "application/vnd.pypi.simple.v1+json"
FIRST_MINOR = (0, 48)

#: numba before 0.57 declares no numpy upper bound, but numba 0.48.0 and 0.53.1 were measured
#: to fail at import with numpy 1.24.4 (np.long is gone); every later numba declares one.
OLD_NUMPY_CAP = "<1.24"
OLD_NUMPY_CAP_BEFORE = (0, 57)
OLD_NUMPY_CAP_NOTE = "numpy cap measured: numba 0.48.0 and 0.53.1 fail at import with numpy 1.24"
#: The longest file name taken for numba's: its wheels' names are under 200 characters.
MAX_FILENAME = 255


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
    that is not numba's wheel or sdist, or whose name is longer than any of numba's."""
    if not isinstance(filename, str) or len(filename) > MAX_FILENAME:
        return None
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            pythons = [f"3.{t.interpreter[3:]}" for t in tags if t.interpreter.startswith("cp3")]
            pythons = [p for p in pythons if PYTHON.match(p)]
        else:
            name, version = parse_sdist_filename(filename)
            pythons = []
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return (str(version), pythons) if name == "numba" else None


def _uploads(page: dict, candidates: bool) -> Dict[str, Tuple[datetime.datetime, Tuple[str, ...]]]:
    """{version: (first upload, Pythons with wheels)} for every unyanked final release, or with
    `candidates` every unyanked release candidate or beta."""
    uploads: Dict[str, List[datetime.datetime]] = collections.defaultdict(list)
    pythons: Dict[str, set] = collections.defaultdict(set)
    files = page.get("files") if isinstance(page, dict) else None
    if not isinstance(files, list):
        raise PackageIndexError("the package index's project page lists no files")
    for entry in files:
        facts = _file_facts(entry.get("filename")) if isinstance(entry, dict) else None
        if facts is None or entry.get("yanked") or _kind(facts[0]) != candidates:
            continue
        version = facts[0]
        when = entry.get("upload-time")
        if when and not isinstance(when, str):
            raise PackageIndexError(f"{entry['filename']}: the upload time {shown(when)} is "
                                    "not a date")  # fmt: skip
        if when:
            uploads[version].append(parse_date(when.split(".")[0].rstrip("Z") + "Z"))
        pythons[version].update(facts[1])
    return {
        version: (min(uploads[version]), tuple(sorted(pythons[version], key=parse_python)))
        for version in uploads
        if pythons[version]
    }


def final_releases(page: dict) -> Dict[str, Tuple[datetime.datetime, Tuple[str, ...]]]:
    """{version: (first upload, Pythons with wheels)} for every final, unyanked release."""
    return _uploads(page, candidates=False)


def candidates(page: dict, table: Sequence[Release]) -> List[Release]:
    """Rows for the release candidates (and betas) on the index that are newer than the
    table's last release and whose final release is not out yet, in version order; llvmlite
    and numpy from pip's resolver, as for a release."""
    finals = {parse_version(v).base_version for v in final_releases(page)}
    found = _uploads(page, candidates=True)
    keys = {v: parse_version(v, candidate=True) for v in found}
    newer = [v for v, key in keys.items() if key > table[-1].key and key.base_version not in finals]
    return [release_from_index(v, *found[v]) for v in sorted(newer, key=keys.__getitem__)]


def _kind(version: str) -> Optional[bool]:
    """False for a final release version, True for a candidate's, None for anything else."""
    try:
        return parse_version(version, candidate=True).is_prerelease
    except TableError:
        return None


def mainline(known: Dict[str, Tuple[datetime.datetime, Tuple[str, ...]]]) -> List[str]:
    """The table's rule, applied to `known` ({version: (first upload, Pythons)}): every final
    release from 0.48.0 on that was, when it came out, newer than every release before it.
    The rule reads only the index's own facts, so whoever applies it, whenever, gets the same
    list; patches of an older minor released after a newer version (none so far) are left out,
    since the table, the ledger and asv's graphs run in release order."""
    chosen: List[str] = []
    for version in sorted(known, key=lambda v: (known[v][0], parse_version(v))):
        key = parse_version(version)
        if key.release[:2] >= FIRST_MINOR and (not chosen or key > parse_version(chosen[-1])):
            chosen.append(version)
    return chosen


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
    """(llvmlite version, numpy range) that pip resolves for numba `version` on `python`; a
    candidate's llvmlite may be a candidate too."""
    key = parse_version(version, candidate=True)
    parse_python(python)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                   "--only-binary=:all:", "--python-version", python, "--quiet",
                   "--report", report, f"numba=={version}"]  # fmt: skip
        command += ["--pre"] if key.is_prerelease else []
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
    if parse_version(version, candidate=True).release[:2] < OLD_NUMPY_CAP_BEFORE and (
        "<" not in numpy
    ):
        numpy, note = f"{numpy},{OLD_NUMPY_CAP}", OLD_NUMPY_CAP_NOTE
    return Release(version, released, llvmlite, pythons, numpy, note)


class RuleError(TableError):
    """The table is not what the rule builds from the index."""


def new_releases(table: Sequence[Release], page: dict) -> Tuple[List[Release], List[str]]:
    """Rows to append, in release order, for what the rule (`mainline`) adds after the table's
    last release, and the final releases the rule leaves out. A table that is not the start of
    what the rule builds is refused (RuleError): ``--rebuild`` writes it anew."""
    known = final_releases(page)
    rule = mainline(known)
    have = [r.numba for r in table]
    if rule[: len(have)] != have:
        missing = [v for v in rule if parse_version(v) <= table[-1].key and v not in have]
        extra = [v for v in have if v not in rule]
        wrong = [f"it lacks {', '.join(missing)}"] if missing else []
        wrong += [f"it has {', '.join(extra)}"] if extra else []
        raise RuleError(
            "the release table does not follow the rule (every final release from 0.48.0 on): "
            f"{'; '.join(wrong) or 'its order differs'}. "
            "`allocbench releases --rebuild` writes it anew from the package index"
        )
    added = [release_from_index(v, *known[v]) for v in rule[len(have) :]]
    skipped = sorted(
        (v for v in known if v not in rule and parse_version(v) > table[-1].key), key=parse_version
    )
    check_order(list(table) + added)
    return added, skipped


def table_from_index(page: dict) -> List[Release]:
    """A whole table: the rule (`mainline`) applied to the index."""
    known = final_releases(page)
    rows = [release_from_index(v, *known[v]) for v in mainline(known)]
    check_order(rows)
    return rows
