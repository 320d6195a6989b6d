"""One run at a time per results directory: a lock that names its holder.

Two history runs on one results directory would each rewrite the other's results files, and
one run's measurements would be lost without a word. A run holds an exclusive ``flock`` on
``<results>.lock`` beside the directory (not inside it: asv and the merge read everything
there) for as long as it measures and publishes, and writes its process id and command into
the file. A second run reads them back and stops, naming the holder. The kernel drops the
lock when its holder's process ends, however it ends, so a lock left by a dead process is
simply taken over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import sys
from typing import Iterator, Optional, Sequence

from allocbench.errors import UserError
from allocbench.files import write_error


class LockedError(UserError):
    """Another run holds the results directory."""


def lock_path(results_dir: pathlib.Path) -> pathlib.Path:
    """The lock file of `results_dir`: beside it, named after it."""
    absolute = pathlib.Path(os.path.abspath(results_dir))
    return absolute.with_name(absolute.name + ".lock")


def _holder(handle) -> str:
    handle.seek(0)
    try:
        who = json.loads(handle.read(4096) or "{}")
        return f"process {int(who['pid'])} ({who['command']})"
    except (ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def hold(results_dir: pathlib.Path, command: Optional[Sequence[str]] = None) -> Iterator[None]:
    """Hold the lock of `results_dir` for the body; LockedError, naming the holder, if another
    process holds it."""
    path = lock_path(results_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise write_error(path, exc) from None
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"{results_dir} is in use by {_holder(handle)}; wait for it to end "
                f"(its lock: {path})"
            ) from None
        words = " ".join(command if command is not None else ["allocbench", *sys.argv[1:]])
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "command": words}))
            handle.flush()
        except OSError as exc:
            raise write_error(path, exc) from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
