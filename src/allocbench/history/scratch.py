"""A scratch folder per history run for asv's temporary files, removed however the run ends.

asv writes its forkserver's folder and the history's commit lists into the temporary folder;
a run stopped by Ctrl-C, or killed, used to leave them in /tmp. Each run now gets a folder
named after its process, set as asv's TMPDIR, removed when the run ends; folders of runs whose
process is gone (killed outright) are removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import tempfile
from typing import Iterator, List, Optional

PREFIX = "allocbench-asv-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Optional[pathlib.Path] = None) -> List[pathlib.Path]:
    """Remove the scratch folders of history runs whose process no longer exists."""
    parent = pathlib.Path(parent or tempfile.gettempdir())
    removed = []
    for folder in parent.glob(PREFIX + "*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def scratch_folder(parent: Optional[pathlib.Path] = None) -> Iterator[pathlib.Path]:
    """A new scratch folder for this process, removed on the way out, whatever the way."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
