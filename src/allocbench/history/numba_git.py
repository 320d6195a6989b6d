"""numba's git history, read from a local copy: release tags, the first-parent line, merges.

Everything reaches git as a list of arguments, never through a shell, and only in checked
forms: releases as versions (``releases.parse_version``), commits as 40 hex digits. The
range between two releases is the first-parent line from the newer tag back to the merge-base
of the two tags (where the older release's branch left the main line), oldest first: the
main line's merges and, at its end, the newer release branch's own commits.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
from dataclasses import dataclass
from typing import List, Optional

from allocbench.errors import UserError
from allocbench.history.releases import parse_version

#: A full commit id.
SHA = re.compile(r"[0-9a-f]{40}")
#: The subject git gives a pull request's merge on GitHub.
MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d{1,7}) from (\S{1,200})")
PULL_URL = "https://github.com/numba/numba/pull/{number}"
#: A tag git describe may name (numba's releases and dev tags: 0.54.0, 0.54.0dev0, 0.54.0rc1).
_TAG = re.compile(r"(\d{1,4})\.(\d{1,4})\.(\d{1,4})((?:rc|dev|\.dev)\d{1,4})?")
#: Seconds any one git command may take.
GIT_TIMEOUT = 300


class GitError(UserError):
    """numba's git repository cannot answer; the message says why."""


@dataclass(frozen=True)
class PullRequest:
    """A pull request merged into numba, as its merge commit names it."""

    number: int
    title: str

    @property
    def url(self) -> str:
        return PULL_URL.format(number=self.number)


@dataclass(frozen=True)
class Commit:
    """One commit: its id, parents, subject and the rest of its message."""

    sha: str
    parents: List[str]
    subject: str
    body: str

    @property
    def short(self) -> str:
        return self.sha[:12]

    def pull_request(self) -> Optional[PullRequest]:
        """The pull request a GitHub merge commit merged (its title: the message's next
        line), or None."""
        match = MERGE_SUBJECT.match(self.subject)
        if not match or len(self.parents) < 2:
            return None
        title = next((line.strip() for line in self.body.splitlines() if line.strip()), "")
        return PullRequest(int(match.group(1)), title[:300])


def check_sha(text: str) -> str:
    """`text` where it is a full commit id (40 lowercase hex digits); GitError otherwise."""
    if not isinstance(text, str) or not SHA.fullmatch(text):
        raise GitError(f"not a commit id of 40 hex digits: {text!r:.60}")
    return text


class Repository:
    """A git repository of numba (a clone or a bare copy)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = pathlib.Path(path)
        if not self.path.is_dir():
            raise GitError(f"{self.path}: no such folder (a clone or bare copy of numba's git)")
        self.git_dir = pathlib.Path(self._git(["rev-parse", "--absolute-git-dir"],
                                              what="not a git repository").strip())  # fmt: skip

    def _git(self, args: List[str], what: str, binary: bool = False) -> str:
        command = ["git", "-C", str(self.path), "-c", "core.quotepath=off", *args]
        try:
            done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"{self.path}: {what}: {exc}") from None
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"{self.path}: {what}: {lines[-1] if lines else done.returncode}")
        return done.stdout.decode("utf-8", "replace")

    def tag(self, version: str) -> str:
        """The commit numba's release tag `version` names; GitError where there is none."""
        parse_version(version, candidate=True)
        out = self._git(["rev-parse", "--verify", "--quiet", f"refs/tags/{version}^{{commit}}"],
                        what=f"no release tag {version} in numba's history here")  # fmt: skip
        return check_sha(out.strip())

    def main(self) -> str:
        """The commit numba's main branch is at here: the local branch (a clone or a mirror),
        else origin's; GitError where the repository has neither."""
        for ref in ("refs/heads/main", "refs/remotes/origin/main"):
            try:
                out = self._git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                                what="no main branch")  # fmt: skip
            except GitError:
                continue
            return check_sha(out.strip())
        raise GitError(f"{self.path}: no main branch (refs/heads/main or origin/main): is it "
                       "a clone of numba's repository?")  # fmt: skip

    def merge_base(self, a: str, b: str) -> str:
        """The best common ancestor of commits `a` and `b`."""
        out = self._git(["merge-base", check_sha(a), check_sha(b)],
                        what=f"{a[:12]} and {b[:12]} share no history")  # fmt: skip
        return check_sha(out.strip())

    def first_parent(self, base: str, tip: str) -> List[str]:
        """The first-parent line from `tip` back to (not including) its ancestor `base`,
        oldest first."""
        out = self._git(["rev-list", "--first-parent", "--reverse", check_sha(tip),
                         f"^{check_sha(base)}"], what="cannot list the commits")  # fmt: skip
        return [check_sha(line) for line in out.split()]

    def commit(self, sha: str) -> Commit:
        """The commit `sha`: its parents and message."""
        out = self._git(["show", "-s", "--format=%H%x00%P%x00%s%x00%b", check_sha(sha)],
                        what=f"no commit {sha[:12]}")  # fmt: skip
        found, parents, subject, body = [*out.split("\x00"), "", "", ""][:4]
        return Commit(check_sha(found.strip()), parents.split(), subject.strip(), body)

    def describe(self, sha: str) -> str:
        """A PEP 440 version for the commit `sha`, as versioneer would write it: the nearest
        release or dev tag, the distance and the commit (``0.54.0dev0+123.gabcdef123456``)."""
        try:
            out = self._git(["describe", "--tags", "--long", "--match", "[0-9]*",
                             check_sha(sha)], what="no tag")  # fmt: skip
        except GitError:
            return f"0.0.0+g{sha[:12]}"
        tag, distance, _ = out.strip().rsplit("-", 2)
        if not _TAG.fullmatch(tag) or not distance.isdigit():
            return f"0.0.0+g{sha[:12]}"
        return f"{tag}+{int(distance)}.g{sha[:12]}"

    def archive(self, sha: str, target: pathlib.Path, prefix: str) -> pathlib.Path:
        """The tree of commit `sha` as a tar.gz file `target`, every path under `prefix`/."""
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", prefix):
            raise GitError(f"not a folder name: {prefix!r:.60}")
        self._git(["archive", "--format=tar.gz", f"--prefix={prefix}/", "-o", str(target),
                   check_sha(sha)], what=f"cannot archive {sha[:12]}")  # fmt: skip
        return target


def release_version_tuple(version: str) -> Optional[tuple]:
    """(major, minor) of a version describe() made, or None."""
    match = _TAG.fullmatch(version.split("+", 1)[0])
    return (int(match.group(1)), int(match.group(2))) if match else None
