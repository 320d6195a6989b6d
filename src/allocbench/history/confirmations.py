"""The one owner of what confirmation and the floor keep beside the results.

Every path they use is here (``Places``): beside asv's results directory (``.asv/results``),
``confirmations.json`` (each step re-measured in fresh processes, and its verdicts),
``floor.json`` (each figure's spread over fresh processes of one release), ``releases/``
(each numba release installed into a folder of its own, per asv environment),
``bisections.json`` (each step's bisection to a numba commit, ``allocbench bisect``) and
``builds/`` (numba built from source at a commit, per Python and numpy). The files are
written whole (allocbench.files) and read only here: a damaged file is one line
(``StoreError``), never a traceback. A confirmation keeps the values asv recorded for each
figure when it was made: where the results now say otherwise, it no longer counts, and
``allocbench confirm`` makes it again.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

from allocbench import files
from allocbench.errors import UserError

#: The format of both files; another is refused (and made again by the next run).
FORMAT = 1


class StoreError(UserError):
    """A confirmations or floor file that is not what this module writes."""


@dataclass(frozen=True)
class Places:
    """Where confirmation keeps its files, beside the results directory."""

    results: pathlib.Path

    @property
    def base(self) -> pathlib.Path:
        return self.results.parent

    @property
    def confirmations(self) -> pathlib.Path:
        return self.base / "confirmations.json"

    @property
    def floor(self) -> pathlib.Path:
        return self.base / "floor.json"

    def release_folder(self, env_dir_name: str, numba: str) -> pathlib.Path:
        """The folder numba `numba` and its llvmlite are installed into for the asv
        environment whose folder is `env_dir_name` (asv's, shared by its variants)."""
        return self.base / "releases" / env_dir_name / numba

    @property
    def bisections(self) -> pathlib.Path:
        return self.base / "bisections.json"

    def build_folder(self, interpreter: str, commit: str) -> pathlib.Path:
        """The folder numba built at `commit` (40 hex digits) and its llvmlite are installed
        into for the interpreter named `interpreter` (``py3.8-numpy1.18.5``)."""
        named = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}", interpreter)
        if not re.fullmatch(r"[0-9a-f]{40}", commit) or not named:
            raise StoreError(f"not a build folder: {interpreter!r:.40} {commit!r:.60}")
        return self.base / "builds" / interpreter / commit


def pair_key(machine: str, env: str, before: str, after: str) -> str:
    """How a release pair is named in confirmations.json."""
    return f"{machine}|{env}|{before}|{after}"


def series_key(machine: str, env: str) -> str:
    """How a machine and environment are named in floor.json."""
    return f"{machine}|{env}"


def _read(path: pathlib.Path, what: str) -> Dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = files.load_json(path)
    except files.FileError as exc:
        raise StoreError(f"damaged {what}: {exc}; remove it to measure again") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(f"damaged {what}: {path} is not format {FORMAT} of allocbench's "
                         f"{what}; remove it to measure again")  # fmt: skip
    entries = data.get("entries")
    if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
        raise StoreError(f"damaged {what}: {path} has no entries; remove it to measure again")
    return entries


def _write(path: pathlib.Path, entries: Mapping[str, Any]) -> None:
    files.write_text(path, json.dumps({"format": FORMAT, "entries": dict(entries)}, indent=1))


def read_confirmations(places: Places) -> Dict[str, Dict[str, Any]]:
    """Every confirmation by pair_key; {} where none was made."""
    return _read(places.confirmations, "confirmations file")


def _put(path: pathlib.Path, what: str, key: str, entry: Mapping[str, Any]) -> None:
    """Add or replace one entry of the store file `path` (`what` names it in errors)."""
    entries = _read(path, what)
    entries[key] = dict(entry)
    _write(path, entries)


def write_confirmation(places: Places, key: str, entry: Mapping[str, Any]) -> None:
    """Add or replace the confirmation of one release pair."""
    _put(places.confirmations, "confirmations file", key, entry)


def read_floor(places: Places) -> Dict[str, Dict[str, Any]]:
    """Every floor measured, by series_key; {} where none was."""
    return _read(places.floor, "floor file")


def write_floor(places: Places, key: str, entry: Mapping[str, Any]) -> None:
    """Add or replace the floor of one machine and environment."""
    _put(places.floor, "floor file", key, entry)


def bisection_key(machine: str, env: str, before: str, after: str, figure: str) -> str:
    """How a bisection of one figure between two releases is named in bisections.json."""
    return f"{pair_key(machine, env, before, after)}|{figure}"


def read_bisections(places: Places) -> Dict[str, Dict[str, Any]]:
    """Every bisection by bisection_key; {} where none was made."""
    return _read(places.bisections, "bisections file")


def write_bisection(places: Places, key: str, entry: Mapping[str, Any]) -> None:
    """Add or replace the bisection of one figure between two releases."""
    _put(places.bisections, "bisections file", key, entry)


def current(entry: Mapping[str, Any], name: str, recorded: Sequence[Optional[float]]) -> bool:
    """Whether the confirmation `entry` holds figure `name` measured against the values asv
    records now (`recorded`: before, after)."""
    figure = (entry.get("figures") or {}).get(name)
    if not isinstance(figure, dict):
        return False
    return list(figure.get("recorded") or []) == [None if v is None else float(v)
                                                   for v in recorded]  # fmt: skip


def figure_of(
    entries: Mapping[str, Mapping[str, Any]],
    key: str,
    name: str,
    recorded: Sequence[Optional[float]],
) -> Optional[Dict[str, Any]]:
    """The confirmation of figure `name` in the pair `key`, where it is current; else None
    (not checked, or the results changed since)."""
    entry = entries.get(key)
    if not entry or not current(entry, name, recorded):
        return None
    return dict(entry["figures"][name], pair=entry)


def _newer(entry: Mapping[str, Any], than: Optional[Mapping[str, Any]]) -> bool:
    return than is None or str(entry.get("when", "")) >= str(than.get("when", ""))


def gather(sources: Sequence[pathlib.Path]) -> Dict[str, Dict[str, Any]]:
    """The confirmations beside each results directory of `sources` (several machines'
    measuring jobs); of a release pair confirmed in several, the one made last."""
    found: Dict[str, Dict[str, Any]] = {}
    for source in sources:
        for key, entry in read_confirmations(Places(pathlib.Path(source))).items():
            if _newer(entry, found.get(key)):
                found[key] = entry
    return found


def add_confirmations(places: Places, found: Mapping[str, Mapping[str, Any]]) -> None:
    """Add `found` (gather's) to the confirmations of `places`; a pair in both keeps the one
    made last. Nothing is written where `found` is empty."""
    if not found:
        return
    entries = read_confirmations(places)
    for key, entry in found.items():
        if _newer(entry, entries.get(key)):
            entries[key] = dict(entry)
    _write(places.confirmations, entries)
