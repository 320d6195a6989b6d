"""Merge asv results directories from several machines into one, losing nothing.

CI runs the history on several runners, each with its own asv machine name, and keeps the
results of earlier runs on a branch; ``asv publish`` reads one results directory, so these are
merged: machines side by side, every results file kept. A file found in two sources (same
machine, commit and environment) is merged benchmark by benchmark; where both measured a
benchmark, the newer measurement wins. Every such choice is reported. Bad input (a missing or
empty source, a file that is not asv's) stops the merge with a message, and nothing is
written: the merge is built in a temporary directory and moved into place at the end.

    allocbench merge SOURCE... --into DEST

DEST, where it already holds results, is merged too, as the oldest source.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

from allocbench.errors import UserError
from allocbench.files import write_error
from allocbench.results import rules
from allocbench.results.rules import BENCHMARKS, MACHINE, ResultsError, result_filename

__all__ = ["Merge", "MergeError", "Tree", "merge", "merge_results", "result_filename"]

PathLike = Union[str, pathlib.Path]


class MergeError(UserError):
    """A source cannot be merged; the message names the file and says why."""


def _load(path: pathlib.Path) -> dict:
    """The checked contents of `path`, by the rule every reader of results follows."""
    try:
        return rules.read(path)
    except ResultsError as exc:
        raise MergeError(str(exc)) from None


class Tree:
    """One results directory, read and checked: benchmarks.json, machines and their results."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.benchmarks: Dict[str, object] = {}
        self.machines: Dict[str, dict] = {}
        #: "machine/file.json" -> parsed results file
        self.results: Dict[str, dict] = {}

    @classmethod
    def read(cls, directory: PathLike) -> Tree:
        """Read `directory`; MergeError if it is missing, empty or holds a stranger."""
        tree = cls(pathlib.Path(directory))
        if not tree.root.is_dir():
            raise MergeError(f"{tree.root}: no such results directory")
        for entry in sorted(tree.root.iterdir()):
            if entry.name == BENCHMARKS and entry.is_file():
                tree.benchmarks = _load(entry)
            elif entry.is_dir() and not entry.is_symlink():
                tree._read_machine(entry)
            else:
                raise MergeError(f"{entry}: not part of an asv results directory")
        if not tree.results:
            raise MergeError(f"{tree.root}: holds no asv results")
        return tree

    def _read_machine(self, folder: pathlib.Path) -> None:
        if not (folder / MACHINE).is_file():
            raise MergeError(f"{folder}: a machine's folder without {MACHINE}")
        info = _load(folder / MACHINE)
        self.machines[folder.name] = info
        for path in sorted(folder.iterdir()):
            if path.name == MACHINE:
                continue
            if path.suffix != ".json":
                raise MergeError(f"{path}: not part of an asv results directory")
            data = _load(path)
            self.results[f"{folder.name}/{path.name}"] = data


def _started(data: dict, row: list) -> Optional[float]:
    columns = data["result_columns"]
    index = columns.index("started_at") if "started_at" in columns else len(row)
    value = row[index] if index < len(row) else None
    return value if isinstance(value, (int, float)) else None


def _when(stamp: Optional[float]) -> str:
    if stamp is None:
        return "no start time"
    when = datetime.datetime.fromtimestamp(stamp / 1000, tz=datetime.timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


def _newest(data: dict) -> float:
    stamps = [_started(data, row) for row in data["results"].values()]
    return max((s for s in stamps if s is not None), default=float("-inf"))


def merge_results(
    name: str, old: Tuple[str, dict], new: Tuple[str, dict], notes: List[str]
) -> dict:
    """One results file from two (labelled) with the same name: every benchmark kept, and
    where both measured one, the newer measurement (asv's started_at; a tie goes to `new`).
    The other fields come from the file measured last."""
    (old_label, old_data), (new_label, new_data) = old, new
    for key in ("commit_hash", "env_name"):
        if old_data[key] != new_data[key]:
            raise MergeError(
                f"{name}: {old_label} and {new_label} disagree on {key}: "
                f"{old_data[key]} and {new_data[key]}"
            )
    if old_data["result_columns"] != new_data["result_columns"]:
        raise MergeError(
            f"{name}: {old_label} and {new_label} have different result_columns (asv versions?)"
        )
    older, newer = (
        (new_data, old_data) if _newest(new_data) < _newest(old_data) else (old_data, new_data)
    )
    merged = dict(newer)
    merged["durations"] = {**older.get("durations", {}), **newer.get("durations", {})}
    merged["results"] = dict(old_data["results"])
    for bench, row in new_data["results"].items():
        mine = old_data["results"].get(bench)
        if mine is None or mine == row:
            merged["results"][bench] = row
            continue
        new_start, old_start = _started(new_data, row), _started(old_data, mine)
        keep_new = (new_start or float("-inf")) >= (old_start or float("-inf"))
        merged["results"][bench] = row if keep_new else mine
        kept, dropped = (new_label, old_label) if keep_new else (old_label, new_label)
        notes.append(
            f"{name}: {bench} measured in both {old_label} ({_when(old_start)}) and "
            f"{new_label} ({_when(new_start)}): kept {kept}'s (newer), dropped {dropped}'s"
        )
    return merged


class Merge:
    """The sources merged in order, later over earlier, with a note for every choice made."""

    def __init__(self) -> None:
        self.benchmarks: Dict[str, object] = {}
        self.machines: Dict[str, dict] = {}
        self.results: Dict[str, dict] = {}
        #: the file each result's content is, unchanged; None once merged from several
        self.copied_from: Dict[str, Optional[pathlib.Path]] = {}
        #: which source(s) each result's content came from, for the notes
        self.origin: Dict[str, str] = {}
        self.notes: List[str] = []

    def add(self, tree: Tree) -> None:
        """Merge `tree` over what is there."""
        replaced = sorted(
            k
            for k, v in tree.benchmarks.items()
            if k in self.benchmarks and self.benchmarks[k] != v
        )
        if replaced:
            names = ", ".join(replaced[:3]) + (", ..." if len(replaced) > 3 else "")
            self.notes.append(
                f"{BENCHMARKS}: {len(replaced)} benchmark definitions taken from {tree.root} "
                f"over earlier ones ({names})"
            )
        self.benchmarks.update(tree.benchmarks)
        for machine, info in tree.machines.items():
            if machine in self.machines and self.machines[machine] != info:
                self.notes.append(f"{machine}/{MACHINE}: differs in {tree.root}; kept that one")
            self.machines[machine] = info
        for name, data in tree.results.items():
            label = str(tree.root)
            if name not in self.results:
                self.results[name], self.copied_from[name] = data, tree.root / name
                self.origin[name] = label
            elif self.results[name] != data:
                old = (self.origin[name], self.results[name])
                self.results[name] = merge_results(name, old, (label, data), self.notes)
                self.copied_from[name] = None
                self.origin[name] = f"{self.origin[name]} + {label}"

    def write(self, directory: pathlib.Path) -> None:
        """Write the merged results into the (new, empty) `directory`."""
        if self.benchmarks:
            (directory / BENCHMARKS).write_text(
                json.dumps(self.benchmarks, indent=4, sort_keys=True), encoding="utf-8"
            )
        for machine, info in self.machines.items():
            (directory / machine).mkdir()
            (directory / machine / MACHINE).write_text(
                json.dumps(info, indent=4, sort_keys=True), encoding="utf-8"
            )
        for name, data in self.results.items():
            source = self.copied_from[name]
            if source is not None:
                shutil.copyfile(source, directory / name)
            else:
                (directory / name).write_text(json.dumps(data), encoding="utf-8")


def _replace(directory: pathlib.Path, built: pathlib.Path) -> None:
    if not directory.exists():
        built.rename(directory)
        return
    old = pathlib.Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
    directory.rename(old / directory.name)
    try:
        built.rename(directory)
    except OSError:
        (old / directory.name).rename(directory)
        raise
    shutil.rmtree(old)


def merge(sources: Sequence[PathLike], into: PathLike) -> Tuple[Merge, List[Tree]]:
    """Merge `sources` (and what `into` already holds, first) into `into`.

    Every source is read and checked before anything is written; MergeError if one is bad.
    """
    dest = pathlib.Path(into)
    if dest.exists() and not dest.is_dir():
        raise MergeError(f"{dest}: exists and is not a directory")
    paths = [pathlib.Path(s) for s in sources]
    if dest.is_dir() and any(dest.iterdir()):
        paths.insert(0, dest)
    seen, unique = set(), []
    for path in paths:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    try:
        trees = [Tree.read(path) for path in unique]
    except MergeError as exc:
        raise MergeError(f"{exc}; nothing written to {dest}") from None
    result = Merge()
    for tree in trees:
        result.add(tree)
    dest.parent.mkdir(parents=True, exist_ok=True)
    built = pathlib.Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        result.write(built)
        _replace(dest, built)
    except OSError as exc:
        shutil.rmtree(built, ignore_errors=True)
        raise write_error(exc.filename or dest, exc) from None
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    return result, trees
