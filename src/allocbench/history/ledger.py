"""The release ledger: a generated git repository with one commit per numba release.

asv draws history, and looks for regressions, only along the commits of the repository it
benchmarks, so numba's releases are made into commits: one per row of the release table, in
release order, dated with the release's date (author and committer alike), tagged with the
version, and holding one file, ``NUMBA_VERSION``, that the asv install step reads.

Commits hold nothing but the version and its date, and are written with a fixed identity, so
they are reproducible: the same table builds the same hashes on every machine, and results
from several machines line up. Rebuilding after new releases only appends commits; a table
whose history no longer matches the ledger is refused rather than rewritten.
"""

from __future__ import annotations

import calendar
import os
import pathlib
import subprocess
from typing import Dict, List, Optional, Sequence, Union

from allocbench.errors import UserError
from allocbench.history.releases import Release, format_date, format_table

BRANCH = "main"
#: Release candidates live on this branch, whose base is the newest final release: they
#: change no final release's hash, carry no tag, and give way when their final is out.
CANDIDATES = "candidates"
VERSION_FILE = "NUMBA_VERSION"
#: A candidate's commit holds its row too, since the release table holds final releases only.
ROW_FILE = "RELEASE_ROW"
IDENTITY = {"name": "allocbench release ledger", "email": "ledger@allocbench.invalid"}

PathLike = Union[str, pathlib.Path]


class LedgerError(UserError, RuntimeError):
    """The ledger cannot be built or updated as asked; nothing was changed."""


def _git(
    repo: pathlib.Path, *args: str, stdin: Optional[str] = None, env: Optional[dict] = None
) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    base.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    base.update(env or {})
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, env=base
    )
    if done.returncode != 0:
        raise LedgerError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


#: numba's repository: its release tags are the plain versions.
NUMBA_REPOSITORY = "https://github.com/numba/numba"


def release_notes_url(version: str) -> str:
    """numba's release page for `version`."""
    return f"{NUMBA_REPOSITORY}/releases/tag/{version}"


def compare_url(previous: str, version: str) -> str:
    """numba's changes from `previous` to `version`."""
    return f"{NUMBA_REPOSITORY}/compare/{previous}...{version}"


def message(release: Release, previous: Optional[Release] = None) -> str:
    """The commit message: only facts that never change for a release (and its predecessor
    in the table): its date, its release notes, and numba's changes since the previous one."""
    if release.candidate:
        lines = [f"numba {release.numba} (release candidate)", "",
                 f"Uploaded {format_date(release.released)}."]  # fmt: skip
    else:
        lines = [f"numba {release.numba}", "", f"Released {format_date(release.released)}.",
                 f"Release notes: {release_notes_url(release.numba)}"]  # fmt: skip
    if previous is not None:
        lines.append(
            f"Changes since {previous.numba}: {compare_url(previous.numba, release.numba)}"
        )
    return "\n".join(lines) + "\n"


def _commit(
    repo: pathlib.Path, release: Release, parent: Optional[str], previous: Optional[Release]
) -> str:
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=release.numba + "\n")
    entries = f"100644 blob {blob}\t{VERSION_FILE}\n"
    if release.candidate:
        row = _git(repo, "hash-object", "-w", "--stdin", stdin=format_table([release]))
        entries = f"100644 blob {row}\t{ROW_FILE}\n" + entries
    tree = _git(repo, "mktree", stdin=entries)
    stamp = f"@{calendar.timegm(release.released.utctimetuple())} +0000"
    env = {
        "GIT_AUTHOR_NAME": IDENTITY["name"],
        "GIT_AUTHOR_EMAIL": IDENTITY["email"],
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": IDENTITY["name"],
        "GIT_COMMITTER_EMAIL": IDENTITY["email"],
        "GIT_COMMITTER_DATE": stamp,
    }
    args = ["commit-tree", tree] + (["-p", parent] if parent else [])
    return _git(repo, *args, stdin=message(release, previous), env=env)


def _head(repo: pathlib.Path) -> Optional[str]:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}")
    except LedgerError:
        return None


def commits(directory: PathLike) -> List[Dict[str, str]]:
    """The ledger's commits, oldest first: hash, version, ISO date and tags."""
    repo = pathlib.Path(directory)
    if _head(repo) is None:
        return []
    log = _git(repo, "log", "--reverse", "--format=%H%x09%aI%x09%cI%x09%s", BRANCH)
    tags: Dict[str, List[str]] = {}
    for line in _git(repo, "show-ref", "--tags").splitlines():
        sha, ref = line.split(" ", 1)
        tags.setdefault(sha, []).append(ref[len("refs/tags/") :])
    rows = []
    for line in log.splitlines():
        sha, authored, committed, subject = line.split("\t", 3)
        rows.append(
            {
                "commit": sha,
                "version": subject.split(" ", 1)[-1],
                "authored": authored,
                "committed": committed,
                "tags": sorted(tags.get(sha, [])),
            }
        )
    return rows


def build(
    releases: Sequence[Release], directory: PathLike, candidates: Sequence[Release] = ()
) -> List[str]:
    """Make or extend the ledger at `directory` for `releases`; the commit hashes, in order,
    followed by those of `candidates` (release candidates newer than the last release), which
    go on the CANDIDATES branch on top of it. Without candidates that branch is where the main
    one is, so that asv always finds it.

    A ledger whose commits are not the start of the table's is refused (LedgerError) and
    left as it was: deleting the directory rebuilds it, with the same hashes as anywhere.
    """
    repo = pathlib.Path(directory)
    if repo.exists() and not repo.is_dir():
        raise LedgerError(f"{repo} is a file, not a folder for the ledger: refusing to touch it")
    if repo.exists() and not (repo / ".git").is_dir() and any(repo.iterdir()):
        raise LedgerError(f"{repo} exists and is not a git repository: refusing to touch it")
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "--quiet", f"--initial-branch={BRANCH}")
    hashes: List[str] = []
    parent = None
    previous = None
    for release in releases:
        parent = _commit(repo, release, parent, previous)
        hashes.append(parent)
        previous = release
    head = _head(repo)
    if head is not None and head not in hashes:
        raise LedgerError(
            f"the ledger in {repo} ends at {head[:12]}, which the release table does not "
            f"build: the table's past has changed. Delete {repo} to rebuild it."
        )
    _git(repo, "update-ref", f"refs/heads/{BRANCH}", hashes[-1])
    for release, sha in zip(releases, hashes):
        _git(repo, "tag", "--force", release.numba, sha)
    _git(repo, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    _git(repo, "reset", "--quiet", "--hard", BRANCH)
    for candidate in candidates:
        if not candidate.candidate or candidate.key <= previous.key:
            raise LedgerError(f"numba {candidate.numba} is not a candidate newer than "
                              f"{previous.numba}")  # fmt: skip
        parent = _commit(repo, candidate, parent, previous)
        hashes.append(parent)
    if candidates or not _builds_on(repo, CANDIDATES, hashes[-1]):
        _git(repo, "update-ref", f"refs/heads/{CANDIDATES}", parent)
    return hashes


def _builds_on(repo: pathlib.Path, branch: str, base: str) -> bool:
    """Whether `branch` exists and `base` is among its commits: candidates measured earlier
    stay until a new final release moves the main branch on."""
    try:
        tip = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        _git(repo, "merge-base", "--is-ancestor", base, tip)
    except LedgerError:
        return False
    return True


def candidate_commits(directory: PathLike) -> List[str]:
    """The versions on the candidates branch beyond the main one, oldest first."""
    repo = pathlib.Path(directory)
    log = _git(repo, "log", "--reverse", "--format=%s", f"{BRANCH}..{CANDIDATES}")
    return [line.split(" ")[1] for line in log.splitlines() if line]
