"""Set aside results files that do not parse, so that the next run measures their work again.

A full disk, or a kill while asv writes, leaves a truncated JSON file in the results
directory, and asv then stops every later run with "Error parsing JSON". Such a file is moved,
not deleted, to ``damaged/`` beside the results directory, named by its machine, its file
name and the time it was set aside.
"""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import List


def _parses(path: pathlib.Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict)


def set_aside_damaged(results_dir: pathlib.Path) -> List[pathlib.Path]:
    """Move every JSON file under `results_dir` that does not parse into
    `results_dir`/../damaged/; where each went."""
    if not results_dir.is_dir():
        return []
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for path in sorted(results_dir.rglob("*.json")):
        if _parses(path):
            continue
        relative = path.relative_to(results_dir)
        target = results_dir.parent / "damaged" / stamp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        moved.append(target)
    return moved
