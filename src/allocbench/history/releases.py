"""The release table: every numba release the history covers, with what it installs with.

One source of truth for release facts: the ledger, the install step of each asv environment,
the history job and the tests all read ``releases.tsv`` beside this module. Each row is a
numba release (every final release from 0.48.0 on, by the one rule of
``history.pypi.mainline`` that ``allocbench releases --refresh`` and ``--rebuild`` follow),
with its release date (first upload to the package index), the llvmlite it installs with, the
Pythons it has wheels for, and the numpy versions it accepts (its wheel metadata's range,
capped where a newer numpy was measured to break it).

Imported by the asv install step inside old environments: Python 3.8 syntax, no numba.
"""

from __future__ import annotations

import datetime
import pathlib
import re
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from allocbench.errors import UserError

TABLE = pathlib.Path(__file__).with_name("releases.tsv")
COLUMNS = ("numba", "released", "llvmlite", "pythons", "numpy", "note")

PYTHON = re.compile(r"^3\.(0|[1-9]\d*)$")
#: One clause of a numpy range: an operator and up to three numbers (no wildcards, no text).
_CLAUSE = re.compile(r"^(>=|<=|==|!=|<|>)((?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*)){0,2})$")
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

PathLike = Union[str, pathlib.Path]


class TableError(UserError, ValueError):
    """The release table, or a version asked of it, is not what it must be."""


def parse_version(text: str, candidate: bool = False) -> Version:
    """A final release version such as '0.57.1' (major.minor.patch, written the way the
    package index writes it), or with `candidate` also a release candidate or beta such as
    '0.69.0rc1'; TableError otherwise.

    Only such versions pass, so a version that passes is safe to hand to pip or git.
    """
    try:
        version = Version(text)
    except (InvalidVersion, TypeError):
        version = None
    if (
        version is None
        or str(version) != text
        or len(version.release) != 3
        or (version.is_prerelease and not (candidate and version.pre))
        or version.is_postrelease
        or version.is_devrelease
        or version.local
        or version.epoch
    ):
        kind = "release or candidate version (want e.g. 0.57.1 or 0.69.0rc1)" if candidate else (
            "release version (want digits like 0.57.1)")  # fmt: skip
        raise TableError(f"not a {kind}: {text!r}")
    return version


def parse_python(text: str) -> Tuple[int, int]:
    """(3, minor) of a Python version written like '3.11'; TableError otherwise."""
    match = PYTHON.match(text) if isinstance(text, str) else None
    if not match:
        raise TableError(f"not a Python version like 3.11: {text!r}")
    return 3, int(match.group(1))


def parse_specifier(text: str) -> SpecifierSet:
    """A numeric version range such as '>=1.15,<1.24'; TableError otherwise."""
    try:
        spec = SpecifierSet(text)
    except (InvalidSpecifier, TypeError):
        spec = None
    if not spec or not all(_CLAUSE.match(str(clause)) for clause in spec):
        raise TableError(f"not a version range (want e.g. >=1.18,<1.23): {text!r}")
    return spec


def specifier_contains(specifier: str, version: str) -> bool:
    """Whether a plain numeric `version` ('1.24.4') lies in `specifier` ('>=1.22,<1.25')."""
    return parse_specifier(specifier).contains(version)


def parse_date(text: str) -> datetime.datetime:
    """A UTC timestamp written as 2020-01-29T16:13:41Z."""
    try:
        when = datetime.datetime.strptime(text, _DATE_FORMAT)
    except (TypeError, ValueError):
        raise TableError(f"not a UTC date like 2020-01-29T16:13:41Z: {text!r}") from None
    return when.replace(tzinfo=datetime.timezone.utc)


def format_date(when: datetime.datetime) -> str:
    """The table's form of a timestamp: UTC, to the second."""
    return when.astimezone(datetime.timezone.utc).strftime(_DATE_FORMAT)


class Release:
    """One row of the release table."""

    __slots__ = ("llvmlite", "note", "numba", "numpy", "pythons", "released")

    def __init__(
        self,
        numba: str,
        released: datetime.datetime,
        llvmlite: str,
        pythons: Sequence[str],
        numpy: str,
        note: str = "",
    ):
        parse_version(numba, candidate=True)
        parse_version(llvmlite, candidate=True)
        parse_specifier(numpy)
        if not pythons or not all(isinstance(p, str) and PYTHON.match(p) for p in pythons):
            raise TableError(f"numba {numba}: not a list of Pythons like 3.8,3.9: {pythons!r}")
        if "\t" in note or "\n" in note:
            raise TableError(f"numba {numba}: the note must be one line without tabs")
        self.numba = numba
        self.released = released
        self.llvmlite = llvmlite
        self.pythons = tuple(sorted(pythons, key=parse_python))
        self.numpy = numpy
        self.note = note

    @property
    def key(self) -> Version:
        """The version, for ordering."""
        return parse_version(self.numba, candidate=True)

    @property
    def candidate(self) -> bool:
        """A release candidate (or beta), not a final release."""
        return self.key.is_prerelease

    def supports(self, python: str, numpy: str) -> bool:
        """Whether this release has a wheel for `python` ('3.11') and accepts `numpy`."""
        return python in self.pythons and specifier_contains(self.numpy, numpy)

    def needs_old_setuptools(self, python: str) -> bool:
        """numba <= 0.55 imports pkg_resources, which setuptools 82 removed; Python 3.8's
        virtualenvs come with an older setuptools, newer Pythons' do not."""
        return self.key.release[:2] <= (0, 55) and parse_python(python) >= (3, 9)

    def as_row(self) -> List[str]:
        """The row as the table writes it."""
        return [
            self.numba,
            format_date(self.released),
            self.llvmlite,
            ",".join(self.pythons),
            self.numpy,
            self.note,
        ]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Release) and self.as_row() == other.as_row()

    def __repr__(self) -> str:
        return f"<Release numba {self.numba} {format_date(self.released)}>"


def parse_row(cells: Sequence[str]) -> Release:
    """One row of a table, from its cells."""
    numba, released, llvmlite, pythons, numpy, note = cells
    return Release(numba, parse_date(released), llvmlite, pythons.split(","), numpy, note)


def parse_table(text: str, source: str = "releases.tsv", candidates: bool = False) -> List[Release]:
    """Rows of a release table (final releases only, unless `candidates`); TableError naming
    the line for anything malformed."""
    lines = text.splitlines()
    if not lines or lines[0].split("\t") != list(COLUMNS):
        raise TableError(f"{source}: the first line must be the header {' '.join(COLUMNS)}")
    releases: List[Release] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise TableError(f"{source} line {number}: {len(cells)} cells, want {len(COLUMNS)}")
        try:
            release = parse_row(cells)
            if release.candidate and not candidates:
                raise TableError("the release table holds final releases only")
        except TableError as exc:
            raise TableError(f"{source} line {number}: {exc}") from None
        releases.append(release)
    check_order(releases, source)
    return releases


def check_order(releases: Sequence[Release], source: str = "releases.tsv") -> None:
    """Rows must be unique and in release order, by version and by date alike."""
    if not releases:
        raise TableError(f"{source}: no releases in it")
    for before, after in zip(releases, releases[1:]):
        if after.key <= before.key or after.released < before.released:
            raise TableError(
                f"{source}: numba {after.numba} ({format_date(after.released)}) must come after "
                f"{before.numba} ({format_date(before.released)}) in both version and date"
            )


def format_table(releases: Iterable[Release]) -> str:
    """The table's text: a header line, then one tab-separated line per release."""
    lines = ["\t".join(COLUMNS)] + ["\t".join(r.as_row()) for r in releases]
    return "\n".join(lines) + "\n"


def load(path: Optional[PathLike] = None) -> List[Release]:
    """The release table at `path` (default: the package's own)."""
    path = pathlib.Path(path) if path is not None else TABLE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TableError(f"cannot read the release table {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: not UTF-8 text (byte {exc.start}): not a release table"
        ) from None
    return parse_table(text, str(path))


def save(releases: Sequence[Release], path: Optional[PathLike] = None) -> None:
    """Write the table atomically, after checking it reads back the same."""
    path = pathlib.Path(path) if path is not None else TABLE
    text = format_table(releases)
    if parse_table(text, str(path)) != list(releases):
        raise TableError(f"{path}: the table would not read back as written")
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def find(releases: Sequence[Release], version: str) -> Release:
    """The row of numba `version`; TableError if it is not a version or not in the table."""
    parse_version(version)
    for release in releases:
        if release.numba == version:
            return release
    known = ", ".join(r.numba for r in releases)
    raise TableError(f"numba {version} is not in the release table (it has {known})")
