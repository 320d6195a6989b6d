"""asv in a session of its own, and how to stop all of it.

asv runs in a new session, so that Ctrl-C at a terminal, or a signal sent to allocbench,
reaches allocbench alone, which then stops asv on purpose: first with SIGINT, on which asv
stops its benchmark process and its forkserver and exits; then, after a grace period, with
SIGKILL for every process still in the session (asv puts its children in process groups of
their own, so killing asv's group alone would leave them running as orphans).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
from typing import List

#: How long asv gets to stop its children after SIGINT.
GRACE_SECONDS = 10.0


def members(session: int) -> List[int]:
    """The processes of `session` (Linux: from /proc; elsewhere its process group only)."""
    proc = pathlib.Path("/proc")
    if not proc.is_dir():
        with contextlib.suppress(OSError):
            os.killpg(session, 0)
            return [session]
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses
        fields = stat[stat.rindex(")") + 2 :].split()
        if len(fields) > 3 and int(fields[3]) == session and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _signal_all(pids: List[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def stop(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """Stop `process`, the leader of its own session, and everything in that session."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    _signal_all(members(process.pid), signal.SIGKILL)
    process.wait()
