"""The words of a regression's GitHub issue, and the marker that names its figure and step.

The marker is an HTML comment in the body (invisible on GitHub) holding a hash of the figure
and the two releases: the next run finds the issue by it, whatever its title became. Text
from the results goes into table cells with its pipes and backticks escaped.
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional

from allocbench.history.ledger import compare_url, release_notes_url
from allocbench.notify.found import Regression

#: The label every regression issue carries; issues are looked up by it and the marker.
LABEL = "regression"
_MARKER = re.compile(r"<!-- allocbench-regression ([0-9a-f]{16}) -->")


def issue_id(key: str) -> str:
    """The marker's id of a figure and step (Regression.key)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def marker(key: str) -> str:
    """The body's first line: the marker of `key`."""
    return f"<!-- allocbench-regression {issue_id(key)} -->"


def marker_of(body: object) -> Optional[str]:
    """The id in an issue body's marker, or None where the body has none."""
    found = _MARKER.search(body) if isinstance(body, str) else None
    return found.group(1) if found else None


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def _number(value: Optional[float]) -> str:
    return "inf" if value is None else f"{value:.4g}"


def title(regression: Regression) -> str:
    """The issue's title: the release, the figure and the step."""
    return (f"numba {regression.after}: {regression.name} rose since numba "
            f"{regression.before} (confirmed)")  # fmt: skip


def body(regression: Regression, site_url: str) -> str:
    """The issue's body: the marker, the step in each machine and environment (medians,
    change, interval, p, processes) with a link to its graph on the site at `site_url`."""
    r = regression
    site = site_url.rstrip("/") + "/"
    rows = [
        f"| {_cell(w.machine)} | {_cell(w.env)} | {_number(w.figure.get('before_median'))} "
        f"| {_number(w.figure.get('after_median'))} | {_number(w.figure.get('estimate'))}x "
        f"| [{_number(w.figure.get('low'))}, {_number(w.figure.get('high'))}] "
        f"| {_number(w.figure.get('p'))} | {w.rounds} + {w.rounds} | [graph]({site}{w.graph}) |"
        for w in r.where
    ]
    return "\n".join([
        marker(r.key),
        f"**numba {r.after}** made `{_cell(r.name)}` worse than numba {r.before}. The step was "
        "confirmed in fresh processes of both releases, run alternately (`allocbench confirm`: "
        "exact rank test, Hodges-Lehmann change with its 95% interval, beyond the figure's "
        "threshold).",
        "",
        f"| machine | environment | numba {r.before} | numba {r.after} | change | 95% interval "
        "| p | processes | graph |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        _traced(r),
        "",
        f"The release: [numba {r.after}'s release notes]({release_notes_url(r.after)}), "
        f"[numba's changes since {r.before}]({compare_url(r.before, r.after)}). "
        f"The site: {site}answer.html",
        "",
        "Opened by the weekly history (`allocbench notify`). It updates this issue while the "
        "step stays confirmed, and closes it when a run no longer confirms it.",
    ])  # fmt: skip


def _traced(regression: Regression) -> str:
    """Where `allocbench bisect` traced the step, or how to trace it."""
    seen = []
    for w in regression.where:
        first = w.traced or {}
        pull = first.get("pull_request") if isinstance(first.get("pull_request"), dict) else None
        if pull:
            seen.append(f"numba pull request [#{int(pull['number'])} "
                        f"{_cell(str(pull.get('title', '')))}]({pull['url']})")  # fmt: skip
        elif first.get("commit"):
            seen.append(f"numba commit `{str(first['commit'])[:12]}`")
    if seen:
        return "Traced by `allocbench bisect` to " + "; ".join(dict.fromkeys(seen)) + "."
    w = regression.where[0]
    step = f"{w.machine}|{w.env}|{regression.before}|{regression.after}".replace("`", "'")
    return f"Not traced to a numba pull request yet: `allocbench bisect --step '{step}'`."


def closing_note(run_url: Optional[str]) -> str:
    """The comment an issue is closed with."""
    where = f"The [weekly run]({run_url})" if run_url else "The last run"
    return (
        f"{where} no longer confirms this step: its fresh processes do not show it, or the "
        "results changed and it was not confirmed again (`allocbench confirm`). Closed by "
        "`allocbench notify`; it reopens this issue if a later run confirms the step."
    )
