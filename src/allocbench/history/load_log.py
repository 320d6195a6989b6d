"""The machine's load while each asv run measured: a log beside the results directory.

`allocbench history` watches every asv run it starts (`allocbench.load.Watch` over
asv and its children) and adds one entry here: machine, environment, the commits measured,
when, and how busy the machine was. The report reads it to say what shared the machine with
the figures it shows. The file is replaced whole on every write; a damaged one is set aside
with a line saying so, and the log starts again.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from allocbench import files
from allocbench.load import Load

#: The fields of an entry's load, as `Load` names them.
_LOAD_FIELDS = tuple(Load.__dataclass_fields__)


def path(results_dir: pathlib.Path) -> pathlib.Path:
    """The load log of `results_dir`: beside it, named after it."""
    absolute = pathlib.Path(os.path.abspath(results_dir))
    return absolute.with_name(absolute.name + ".load.json")


@dataclass(frozen=True)
class Entry:
    """One asv run: where and what it measured, when it ended, and the machine's load."""

    machine: str
    env: str
    commits: Sequence[str]
    ended: float
    load: Load


def _entry(raw: object) -> Optional[Entry]:
    if not isinstance(raw, dict) or not isinstance(raw.get("load"), dict):
        return None
    try:
        load = Load(**{k: raw["load"][k] for k in _LOAD_FIELDS})
        return Entry(str(raw["machine"]), str(raw["env"]), tuple(map(str, raw["commits"])),
                     float(raw["ended"]), load)  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


def read(results_dir: pathlib.Path) -> List[Entry]:
    """The log's entries, oldest first; none where there is no log. FileError where it cannot
    be read or is not a list of entries."""
    log = path(results_dir)
    if not log.exists():
        return []
    raw = files.load_json(log)
    entries = [_entry(item) for item in raw] if isinstance(raw, list) else [None]
    if any(e is None for e in entries):
        raise files.FileError(f"{log}: not a load log (a list of entries)")
    return [e for e in entries if e is not None]


def record(
    results_dir: pathlib.Path, machine: str, env: str, commits: Sequence[str], load: Load
) -> None:
    """Add an entry for an asv run that just ended; a damaged log is set aside first."""
    log = path(results_dir)
    try:
        entries = read(results_dir)
    except files.FileError as exc:
        aside = log.with_name(f"{log.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        files.move(log, aside)
        print(f"{exc}; set aside as {aside.name}, and a new log started")
        entries = []
    entries.append(Entry(machine, env, tuple(commits), time.time(), load))
    data = [{"machine": e.machine, "env": e.env, "commits": list(e.commits), "ended": e.ended,
             "load": e.load.as_json()} for e in entries]  # fmt: skip
    files.write_text(log, json.dumps(data, indent=1))


def by_run(entries: Sequence[Entry]) -> Dict[tuple, Load]:
    """The newest load of each (machine, env, commit)."""
    found: Dict[tuple, Load] = {}
    for entry in sorted(entries, key=lambda e: e.ended):
        for commit in entry.commits:
            found[(entry.machine, entry.env, commit)] = entry.load
    return found
