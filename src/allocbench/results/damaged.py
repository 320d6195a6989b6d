"""Set aside the files of a results directory that asv did not write whole, so that the next
run measures their work again.

A full disk or a kill while an older asv wrote in place, or a hand-made file, leaves something
in the results directory that asv stops on ("Error parsing JSON") or hangs on (a FIFO). Each
file that the one rule of ``allocbench.results.rules`` refuses is moved, not deleted, to
``damaged/`` beside the results directory, named by the time it was set aside, its machine and
its name; the move works across filesystems. A FIFO or a device holds no results: where it
cannot be renamed it is removed.
"""

from __future__ import annotations

import datetime
import pathlib
from typing import List, Tuple

from allocbench.files import move
from allocbench.results import rules


def set_aside_damaged(results_dir: pathlib.Path) -> List[Tuple[pathlib.Path, str]]:
    """Move every JSON file under `results_dir` that asv would not have written to
    `results_dir`/../damaged/; (where each went, why it was set aside)."""
    if not results_dir.is_dir():
        return []
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for path in sorted(results_dir.glob("*.json")) + sorted(results_dir.glob("*/*.json")):
        why = rules.flaw(path)
        if why is None:
            continue
        target = results_dir.parent / "damaged" / stamp / path.relative_to(results_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        move(path, target)
        moved.append((target, why))
    return moved
