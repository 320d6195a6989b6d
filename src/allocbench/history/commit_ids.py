"""Which numba release each commit of the release ledger stands for, computed without git.

The ledger's commits are reproducible (``allocbench.history.ledger``: fixed identity, the
release's date, a message of facts that never change), so their ids are git's SHA-1 of the
same objects: the blob of ``NUMBA_VERSION`` (and a candidate's ``RELEASE_ROW``), the tree
holding them, and the commit. No ledger is built to name a commit.
"""

from __future__ import annotations

import calendar
import hashlib
from typing import Dict, List, Optional, Sequence

from allocbench.history import ledger
from allocbench.history.releases import Release, format_table


def _object(kind: str, body: bytes) -> str:
    """The id git gives the object of `kind` with `body`."""
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def _tree(files: Dict[str, str]) -> str:
    entries = b"".join(
        f"100644 {name}\0".encode() + bytes.fromhex(blob) for name, blob in sorted(files.items())
    )
    return _object("tree", entries)


def _commit(release: Release, parent: Optional[str], previous: Optional[Release]) -> str:
    files = {ledger.VERSION_FILE: _object("blob", (release.numba + "\n").encode())}
    if release.candidate:
        files[ledger.ROW_FILE] = _object("blob", format_table([release]).encode())
    who = f"{ledger.IDENTITY['name']} <{ledger.IDENTITY['email']}>"
    stamp = f"{calendar.timegm(release.released.utctimetuple())} +0000"
    head = [f"tree {_tree(files)}"] + ([f"parent {parent}"] if parent else [])
    head += [f"author {who} {stamp}", f"committer {who} {stamp}"]
    body = "\n".join(head) + "\n\n" + ledger.message(release, previous)
    return _object("commit", body.encode())


def ledger_commits(releases: Sequence[Release], candidates: Sequence[Release] = ()) -> List[str]:
    """The ids ``ledger.build(releases, ..., candidates)`` gives its commits, in its order."""
    ids: List[str] = []
    parent: Optional[str] = None
    previous: Optional[Release] = None
    for release in releases:
        parent = _commit(release, parent, previous)
        ids.append(parent)
        previous = release
    for candidate in candidates:  # on top of the last release, each after the one before
        parent = _commit(candidate, parent, previous)
        ids.append(parent)
    return ids


def release_by_commit(
    table: Sequence[Release], candidates: Sequence[Release] = ()
) -> Dict[str, Release]:
    """Commit id -> the release it stands for, in the ledger's order."""
    return dict(zip(ledger_commits(table, candidates), [*table, *candidates]))
