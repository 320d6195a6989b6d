"""The release ledger: a generated git repository with one commit per numba release.

asv draws history, and looks for regressions, only along the commits of the repository it
benchmarks, so numba's releases are made into commits: one per row of the release table, in
release order, dated with the release's date (author and committer alike), tagged with the
version, and holding one file, ``NUMBA_VERSION``, that the asv install step reads.

Commits hold nothing but the version and its date, and are written with a fixed identity, so
they are reproducible: the same table builds the same hashes on every machine, and results
from several machines line up. Rebuilding after new releases only appends commits; a table
whose history no longer matches the ledger is refused rather than rewritten.

The ledger touches no repository but its own. When it makes its repository it marks it in
that repository's own git config: ``allocbench.ledger = true`` (``git config --local
allocbench.ledger`` shows it). Any other git repository is refused with one line and left
exactly as it was: index, HEAD, branches, work tree, config. A ledger made before the mark
existed is adopted (marked) only when read-only git commands prove it one: HEAD on ``main``,
no refs but ``main``, ``candidates`` and tags, every commit on them written by the ledger's
identity (author and committer), no file in any of them but ``NUMBA_VERSION`` and
``RELEASE_ROW``, no linked work tree and nothing uncommitted or untracked in its work tree.

Every git command names the repository with ``--git-dir``, so git never looks for one in the
folders above, and none of them runs hooks. Building writes objects, branches and tags only,
never a work tree: asv reads the ledger's commits, and checks them out in clones of its own
(``git clone --shared``), so the ledger's work tree is not used; the ledgers made before the
mark had theirs reset to ``main`` and keep it as it was.
"""

from __future__ import annotations

import calendar
import os
import pathlib
import subprocess
from typing import Dict, List, Optional, Sequence, Union

from allocbench.errors import UserError
from allocbench.history.releases import Release, format_date, format_table, parse_table

BRANCH = "main"
#: Release candidates live on this branch, whose base is the newest final release: they
#: change no final release's hash, carry no tag, and give way when their final is out.
CANDIDATES = "candidates"
VERSION_FILE = "NUMBA_VERSION"
#: A candidate's commit holds its row too, since the release table holds final releases only.
ROW_FILE = "RELEASE_ROW"
IDENTITY = {"name": "allocbench release ledger", "email": "ledger@allocbench.invalid"}
#: The key in the ledger's own git config that marks a repository as the ledger's.
MARK = "allocbench.ledger"
#: The references a ledger holds: its two branches and a tag per release.
BRANCHES = (f"refs/heads/{BRANCH}", f"refs/heads/{CANDIDATES}")
#: More commits than any ledger will hold (one per release and candidate): a repository
#: with more is not looked into any further.
MAX_COMMITS = 10000

PathLike = Union[str, pathlib.Path]


class LedgerError(UserError, RuntimeError):
    """The ledger cannot be built or updated as asked; nothing was changed."""


def _run(
    repo: pathlib.Path,
    *args: str,
    stdin: Optional[str] = None,
    env: Optional[dict] = None,
    work_tree: bool = False,
) -> subprocess.CompletedProcess:
    """git `args` on the repository at `repo`/.git, named outright so that git never looks
    for one in the folders above; no hooks, no optional locks (a read changes no file)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    base.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    base.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    base.update(env or {})
    where = pathlib.Path(os.path.abspath(repo))
    command = ["git", f"--git-dir={where / '.git'}"]
    command += [f"--work-tree={where}"] if work_tree else []
    command += ["-c", f"core.hooksPath={os.devnull}", "-c", "core.fsmonitor=false", *args]
    try:
        return subprocess.run(command, input=stdin, capture_output=True, text=True, env=base)
    except OSError as exc:
        raise LedgerError(f"cannot run git: {exc.strerror or exc}") from None


def _git(
    repo: pathlib.Path, *args: str, stdin: Optional[str] = None, env: Optional[dict] = None
) -> str:
    done = _run(repo, *args, stdin=stdin, env=env)
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
    # for-each-ref, not show-ref --tags: that exits 1 where the ledger has no tag.
    refs = _git(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags")
    for line in refs.splitlines():
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
    if not releases:
        raise LedgerError("no releases to build the ledger of")
    for candidate in candidates:
        if not candidate.candidate or candidate.key <= releases[-1].key:
            raise LedgerError(f"numba {candidate.numba} is not a candidate newer than "
                              f"{releases[-1].numba}")  # fmt: skip
    repo = open_ledger(directory)
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
    for candidate in candidates:
        parent = _commit(repo, candidate, parent, previous)
        hashes.append(parent)
    if candidates or not _builds_on(repo, CANDIDATES, hashes[-1]):
        _git(repo, "update-ref", f"refs/heads/{CANDIDATES}", parent)
    return hashes


def _folder(directory: PathLike) -> pathlib.Path:
    """`directory` as a path, refused when it names no folder: an empty name would be the
    current folder, which the ledger never takes without being told so by name."""
    text = os.fspath(directory)
    if not text.strip():
        raise LedgerError("the ledger's folder is an empty name: name a folder (the current "
                          "folder is never taken for it)")  # fmt: skip
    if "\0" in text:
        raise LedgerError(f"the ledger's folder {text!r} has a NUL character in its name")
    repo = pathlib.Path(text)
    if ".git" in pathlib.Path(os.path.abspath(repo)).parts:
        raise LedgerError(f"{repo} is inside a .git folder: refusing to touch it")
    return repo


def open_ledger(directory: PathLike) -> pathlib.Path:
    """The ledger's folder, ready to write in: made (and marked as the ledger's) where there
    is no folder or an empty one, taken as it is where it carries the mark, and adopted (and
    marked) where it is a ledger made before the mark existed. Anything else is refused with
    a LedgerError and left untouched: a file, a folder that is not a git repository, a git
    repository that allocbench did not make."""
    repo = _folder(directory)
    try:
        return _open(repo)
    except OSError as exc:
        raise LedgerError(f"cannot use {repo} for the ledger: {exc.strerror or exc}") from None


def _open(repo: pathlib.Path) -> pathlib.Path:
    if repo.exists() and not repo.is_dir():
        raise LedgerError(f"{repo} is a file, not a folder for the ledger: refusing to touch it")
    git_dir = repo / ".git"
    if not os.path.lexists(git_dir):
        if repo.exists() and any(repo.iterdir()):
            raise LedgerError(f"{repo} exists and is not a git repository: refusing to touch it")
        repo.mkdir(parents=True, exist_ok=True)
        done = _run(repo, "init", "--quiet", f"--initial-branch={BRANCH}", os.path.abspath(repo))
        if done.returncode != 0:
            raise LedgerError(f"git init failed in {repo}: {done.stderr.strip()}")
        _git(repo, "config", "--local", MARK, "true")
        return repo
    if git_dir.is_symlink() or not git_dir.is_dir():
        raise LedgerError(f"{repo} is a git work tree whose repository is elsewhere, not a ledger "
                          f"allocbench made: refusing to touch it")  # fmt: skip
    if is_marked(repo):
        return repo
    why = not_a_ledger(repo)
    if why is not None:
        raise LedgerError(f"{repo} is a git repository that allocbench did not make ({why}): "
                          "refusing to touch it")  # fmt: skip
    _git(repo, "config", "--local", MARK, "true")
    return repo


def is_marked(directory: PathLike) -> bool:
    """Whether the git repository at `directory` carries the ledger's mark in its own config."""
    done = _run(pathlib.Path(directory), "config", "--local", "--get", MARK)
    return done.returncode == 0 and done.stdout.strip() == "true"


def not_a_ledger(directory: PathLike) -> Optional[str]:
    """Why the unmarked git repository at `directory` is not provably a ledger made by an
    earlier allocbench, or None when it is one; asks git read-only questions only."""
    repo = pathlib.Path(directory)
    readable = _run(repo, "rev-parse", "--git-dir")
    if readable.returncode != 0:
        return f"git cannot read it: {readable.stderr.strip()}"
    head = _run(repo, "symbolic-ref", "--quiet", "HEAD")
    if head.returncode != 0:
        return "its HEAD is not on a branch"
    if head.stdout.strip() != f"refs/heads/{BRANCH}":
        return f"its HEAD is on {head.stdout.strip()[len('refs/heads/') :]}, not {BRANCH}"
    refs = _git(repo, "for-each-ref", "--format=%(objecttype) %(refname)").splitlines()
    for line in refs:
        kind, ref = line.split(" ", 1)
        if not (ref in BRANCHES or ref.startswith("refs/tags/")):
            return f"it has {ref}, which a ledger does not"
        if kind != "commit":
            return f"its {ref} is a {kind}, not a commit"
    if f"commit refs/heads/{BRANCH}" not in refs:
        return "it has no commits"
    count = int(_git(repo, "rev-list", "--all", "--count"))
    if count > MAX_COMMITS:
        return f"it has {count} commits, more than a ledger"
    ours = f"{IDENTITY['name']}\t{IDENTITY['email']}"
    log = _git(repo, "log", "--all", "--format=%H%x09%an%x09%ae%x09%cn%x09%ce").splitlines()
    for line in log:
        sha, people = line.split("\t", 1)
        if people != f"{ours}\t{ours}":
            return f"its commit {sha[:12]} was not written by the ledger"
    for line in _git(repo, "rev-list", "--all", "--objects").splitlines():
        name = line.partition(" ")[2]
        if name and name not in (VERSION_FILE, ROW_FILE):
            return f"its commits hold {name}, which a ledger's do not"
    if len(_git(repo, "worktree", "list", "--porcelain").split("\n\n")) > 1:
        return "it has linked work trees"
    done = _run(repo, "status", "--porcelain", "--ignored", "--untracked-files=all", work_tree=True)
    if done.returncode != 0:
        return f"git status failed: {done.stderr.strip()}"
    if done.stdout.strip():
        return "its work tree holds changes not committed"
    return None


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


def candidate_releases(directory: PathLike) -> List[Release]:
    """The release candidates on the candidates branch of the ledger at `directory`, oldest
    first, each read from the row its commit holds; none where there is no ledger there that
    allocbench made. Read-only: the report names candidates by them."""
    repo = pathlib.Path(directory)
    if not (repo / ".git").is_dir() or not is_marked(repo):
        return []
    log = _run(repo, "log", "--reverse", "--format=%H", f"{BRANCH}..{CANDIDATES}")
    if log.returncode != 0:
        return []
    found = []
    for sha in log.stdout.split():
        row = _run(repo, "show", f"{sha}:{ROW_FILE}")
        if row.returncode != 0:
            raise LedgerError(f"{repo}: candidate {sha[:12]} has no {ROW_FILE}")
        found += parse_table(row.stdout, f"{repo} {sha[:12]}:{ROW_FILE}", candidates=True)
    return found
