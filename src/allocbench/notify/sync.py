"""Bring the repository's regression issues in step with the regressions confirmed now.

Each confirmed regression has one issue, found by its marker among the issues with the label
(issue_text): none yet, it is opened; open, its title and body are updated where they
changed; closed, it is reopened with the new text. An open issue whose regression is no
longer confirmed is closed with a comment saying why. Run twice on the same results, the
second run changes nothing. With `dry_run` the issues are read and nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence

from allocbench.notify import issue_text
from allocbench.notify.found import Regression
from allocbench.notify.github import Client


@dataclass(frozen=True)
class Done:
    """What was done (or, in a dry run, would be) to one issue."""

    #: "open", "update", "reopen", "unchanged" or "close".
    action: str
    #: The issue's number; None for an issue a dry run would open.
    number: Optional[int]
    title: str
    url: Optional[str]

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def _by_marker(issues: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Issues by their marker's id; of several with one id, an open one, then the oldest."""
    found: Dict[str, Dict[str, Any]] = {}
    ranked = sorted(issues, key=lambda i: (i.get("state") != "open", i["number"]))
    for issue in ranked:
        ident = issue_text.marker_of(issue.get("body"))
        if ident is not None:
            found.setdefault(ident, issue)
    return found


def sync(
    client: Client,
    regressions: Sequence[Regression],
    site_url: str,
    run_url: Optional[str] = None,
    dry_run: bool = False,
) -> List[Done]:
    """Open, update, reopen or close the issues; what was done, issue by issue."""
    existing = _by_marker(client.issues(issue_text.LABEL))
    done: List[Done] = []
    wanted = set()
    for regression in regressions:
        ident = issue_text.issue_id(regression.key)
        wanted.add(ident)
        title = issue_text.title(regression)
        body = issue_text.body(regression, site_url)
        issue = existing.get(ident)
        if issue is None:
            made = {} if dry_run else client.create(title, body, [issue_text.LABEL])
            done.append(Done("open", made.get("number"), title, made.get("html_url")))
            continue
        number, url = issue["number"], issue.get("html_url")
        fields: Dict[str, Any] = {}
        if issue.get("title") != title or issue.get("body") != body:
            fields.update(title=title, body=body)
        if issue.get("state") != "open":
            fields["state"] = "open"
        if fields and not dry_run:
            client.edit(number, fields)
        action = "reopen" if "state" in fields else "update" if fields else "unchanged"
        done.append(Done(action, number, title, url))
    for ident, issue in existing.items():
        if ident in wanted or issue.get("state") != "open":
            continue
        if not dry_run:
            client.comment(issue["number"], issue_text.closing_note(run_url))
            client.edit(issue["number"], {"state": "closed", "state_reason": "completed"})
        done.append(Done("close", issue["number"], str(issue.get("title")), issue.get("html_url")))
    return done
