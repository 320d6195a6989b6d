"""The few calls of GitHub's REST API that the regression issues need, with urllib.

One repository's issues: list those with a label (open and closed), create one, edit one
(title, body, state) and comment on one. The API's address is GitHub's, or the one Actions
gives in GITHUB_API_URL (GitHub Enterprise; a test's local server). Every failure is a
``GitHubError``: one line naming the call, never a traceback; the token is never said.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Sequence

from allocbench.errors import UserError

API = "https://api.github.com"
#: owner/name as GitHub allows them.
_REPOSITORY = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")
#: Issues a page, and pages read at most (10,000 issues).
PER_PAGE = 100
MAX_PAGES = 100


#: Hosts the API may be reached on without TLS (a test's local server): the token is sent.
_LOCAL = ("127.0.0.1", "localhost", "::1")


class GitHubError(UserError):
    """A call to GitHub's API that failed, or a repository or address that cannot be one."""


class _SameHost(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only on the API's own host: urllib would send the token along."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Optional[urllib.request.Request]:
        here, there = (urllib.parse.urlsplit(u).netloc for u in (req.full_url, newurl))
        if here != there:
            return None  # urllib then raises the redirect as an HTTPError
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _reason(exc: urllib.error.HTTPError) -> str:
    """GitHub's message for a failed call (its JSON 'message'), or the HTTP reason."""
    try:
        message = json.loads(exc.read() or b"{}").get("message")
    except (ValueError, AttributeError, OSError):
        message = None
    return _one_line(str(message or exc.reason or ""))


class Client:
    """GitHub's issues API for `repository` (owner/name), with `token` (None: read only,
    as anyone may read a public repository)."""

    def __init__(
        self, repository: str, token: Optional[str], api: str = API, timeout: float = 30.0
    ) -> None:
        if not _REPOSITORY.fullmatch(repository or "") or repository.endswith(("/.", "/..")):
            raise GitHubError(f"not a GitHub repository (owner/name): {repository!r}")
        parts = urllib.parse.urlsplit(api)
        local = parts.scheme == "http" and parts.hostname in _LOCAL
        if not (parts.scheme == "https" or local) or not parts.netloc:
            raise GitHubError(f"not an API address (https, or http on this machine): {api!r}")
        self.repository = repository
        self.api = api.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_SameHost)

    def call(self, method: str, path: str, data: Optional[Mapping[str, Any]] = None,
             query: Optional[Mapping[str, Any]] = None) -> Any:  # fmt: skip
        """`method` on the repository's `path` ("/issues"); the decoded JSON answer."""
        url = f"{self.api}/repos/{self.repository}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/vnd.github+json", "User-Agent": "allocbench-notify",
                   "X-GitHub-Api-Version": "2022-11-28"}  # fmt: skip
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, body, headers, method=method)
        what = f"GitHub API {method} {path}"
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise GitHubError(f"{what}: HTTP {exc.code} {_reason(exc)}".rstrip()) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(
                f"{what}: cannot reach {self.api}: {_one_line(str(reason))}"
            ) from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise GitHubError(f"{what}: the answer is not JSON") from None

    def issues(self, label: str) -> List[Dict[str, Any]]:
        """Every issue (open or closed, not pull requests) with `label`."""
        found: List[Dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            query = {"labels": label, "state": "all", "per_page": PER_PAGE, "page": page}
            batch = self.call("GET", "/issues", query=query)
            if not isinstance(batch, list):
                raise GitHubError("GitHub API GET /issues: the answer is not a list of issues")
            found += [i for i in batch if isinstance(i, dict) and "pull_request" not in i
                      and isinstance(i.get("number"), int)]  # fmt: skip
            if len(batch) < PER_PAGE:
                break
        return found

    def create(self, title: str, body: str, labels: Sequence[str]) -> Dict[str, Any]:
        """A new issue; GitHub's answer (its number and html_url)."""
        made = self.call("POST", "/issues", {"title": title, "body": body, "labels": list(labels)})
        if not isinstance(made, dict) or not isinstance(made.get("number"), int):
            raise GitHubError("GitHub API POST /issues: the answer names no issue")
        return made

    def edit(self, number: int, fields: Mapping[str, Any]) -> None:
        """Change issue `number`'s title, body or state."""
        self.call("PATCH", f"/issues/{int(number)}", fields)

    def comment(self, number: int, text: str) -> None:
        """Add a comment to issue `number`."""
        self.call("POST", f"/issues/{int(number)}/comments", {"body": text})
