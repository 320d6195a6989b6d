"""The release table: every numba release the history covers, with what it installs with.

One source of truth for release facts: the ledger, the install step of each asv environment,
the history job and the tests all read ``releases.tsv`` beside this module. Each row is a
numba release (every final release from 0.48.0 on, by the one rule of
``history.pypi.mainline`` that ``allocbench releases --refresh`` and ``--rebuild`` follow),
with its release date (first upload to the package index), the llvmlite it installs with, the
Pythons it has wheels for, and the numpy versions it accepts (its wheel metadata's range,
capped where a newer numpy was measured to break it).

Every field is bounded in length before any digits in it are converted (Python refuses to
convert more than 4,300 digits, with a ValueError that is no ``TableError``), and release
dates lie between numba's first year (2012) and tomorrow, which git can always record. The
table is read only from a regular file of bounded size (``allocbench.files``), so a FIFO
cannot hang a command.

Imported by the asv install step inside old environments: Python 3.8 syntax, no numba.
"""

from __future__ import annotations

import contextlib
import datetime
import pathlib
import re
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from allocbench.errors import UserError
from allocbench.files import FileError, read_text, write_text

TABLE = pathlib.Path(__file__).with_name("releases.tsv")
COLUMNS = ("numba", "released", "llvmlite", "pythons", "numpy", "note")

#: The longest version accepted (numba's and llvmlite's are 6 to 9 characters: 0.69.0rc1).
MAX_VERSION = 32
#: The longest numpy range accepted (numba's are up to 12 characters: >=1.22,<2.6).
MAX_RANGE = 100
#: The longest note accepted.
MAX_NOTE = 500
#: The largest release table read: the whole history is a few kilobytes.
MAX_TABLE_BYTES = 1024 * 1024
PYTHON = re.compile(r"^3\.(0|[1-9]\d{0,2})$")
_NUMBER = r"(?:0|[1-9]\d{0,8})"
#: One clause of a numpy range: an operator and up to three numbers (no wildcards, no text).
_CLAUSE = re.compile(rf"^(>=|<=|==|!=|<|>)({_NUMBER}(?:\.{_NUMBER}){{0,2}})$")
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: No numba release is older (its first came out in 2012), and git dates anything after 1970.
EARLIEST = datetime.datetime(2012, 1, 1, tzinfo=datetime.timezone.utc)

PathLike = Union[str, pathlib.Path]


class TableError(UserError, ValueError):
    """The release table, or a version asked of it, is not what it must be."""


def shown(text: object, limit: int = 40) -> str:
    """`text` for an error message: its repr, cut to `limit` characters with its length said."""
    if isinstance(text, str) and len(text) > limit:
        return f"{text[:limit]!r}... ({len(text)} characters)"
    return repr(text)


def parse_version(text: str, candidate: bool = False) -> Version:
    """A final release version such as '0.57.1' (major.minor.patch, written the way the
    package index writes it), or with `candidate` also a release candidate or beta such as
    '0.69.0rc1'; TableError otherwise.

    Only such versions pass, so a version that passes is safe to hand to pip or git. Its
    length is checked first: a longer one is refused before any of its digits are converted.
    """
    version = None
    if isinstance(text, str) and len(text) <= MAX_VERSION:
        with contextlib.suppress(InvalidVersion):
            version = Version(text)
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
        raise TableError(f"not a {kind}: {shown(text)}")
    return version


def parse_python(text: str) -> Tuple[int, int]:
    """(3, minor) of a Python version written like '3.11'; TableError otherwise."""
    match = PYTHON.match(text) if isinstance(text, str) else None
    if not match:
        raise TableError(f"not a Python version like 3.11: {shown(text)}")
    return 3, int(match.group(1))


def parse_specifier(text: str) -> SpecifierSet:
    """A numeric version range such as '>=1.15,<1.24' (numbers of at most 9 digits);
    TableError otherwise."""
    spec = None
    if isinstance(text, str) and len(text) <= MAX_RANGE:
        with contextlib.suppress(InvalidSpecifier):
            spec = SpecifierSet(text)
    if not spec or not all(_CLAUSE.match(str(clause)) for clause in spec):
        raise TableError(f"not a version range (want e.g. >=1.18,<1.23): {shown(text)}")
    return spec


def specifier_contains(specifier: str, version: str) -> bool:
    """Whether a plain numeric `version` ('1.24.4') lies in `specifier` ('>=1.22,<1.25')."""
    if not isinstance(version, str) or len(version) > MAX_VERSION:
        raise TableError(f"not a version like 1.24.4: {shown(version)}")
    return parse_specifier(specifier).contains(version)


def parse_date(text: str) -> datetime.datetime:
    """A UTC timestamp written as 2020-01-29T16:13:41Z."""
    try:
        when = datetime.datetime.strptime(text, _DATE_FORMAT)
    except (TypeError, ValueError):
        raise TableError(f"not a UTC date like 2020-01-29T16:13:41Z: {shown(text)}") from None
    return when.replace(tzinfo=datetime.timezone.utc)


def check_date(when: datetime.datetime, now: Optional[datetime.datetime] = None) -> None:
    """TableError unless `when` is a UTC-aware time from `EARLIEST` (2012) to a day after
    `now` (default: this moment): a numba release date, which git can record."""
    if not isinstance(when, datetime.datetime) or when.tzinfo is None:
        raise TableError(f"not a date with a time zone: {shown(when)}")
    latest = (now or datetime.datetime.now(datetime.timezone.utc)) + datetime.timedelta(days=1)
    if when < EARLIEST:
        raise TableError(f"released {format_date(when)}, before {format_date(EARLIEST)}: "
                         "older than any numba release")  # fmt: skip
    if when > latest:
        raise TableError(f"released {format_date(when)}, after tomorrow ({format_date(latest)})")


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
            listed = shown(
                ",".join(map(str, pythons)) if isinstance(pythons, (list, tuple)) else pythons
            )
            raise TableError(f"numba {numba}: not a list of Pythons like 3.8,3.9: {listed}")
        if not isinstance(note, str) or len(note) > MAX_NOTE or "\t" in note or "\n" in note:
            raise TableError(
                f"numba {numba}: the note must be one line without tabs, of at most {MAX_NOTE} "
                "characters"
            )
        try:
            check_date(released)
        except TableError as exc:
            raise TableError(f"numba {numba}: {exc}") from None
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
        text = read_text(path, MAX_TABLE_BYTES)
    except FileError as exc:
        raise TableError(f"the release table: {exc}") from None
    return parse_table(text, str(path))


def save(releases: Sequence[Release], path: Optional[PathLike] = None) -> None:
    """Write the table atomically, after checking it reads back the same."""
    path = pathlib.Path(path) if path is not None else TABLE
    text = format_table(releases)
    if parse_table(text, str(path)) != list(releases):
        raise TableError(f"{path}: the table would not read back as written")
    write_text(path, text)


def find(releases: Sequence[Release], version: str) -> Release:
    """The row of numba `version`; TableError if it is not a version or not in the table."""
    parse_version(version)
    for release in releases:
        if release.numba == version:
            return release
    known = ", ".join(r.numba for r in releases)
    raise TableError(f"numba {version} is not in the release table (it has {known})")
