"""``allocbench notify``: a GitHub issue per confirmed regression, opened, updated or closed.

The repository is GITHUB_REPOSITORY (or --repository), the token GITHUB_TOKEN (needed to
write; --dry-run reads without one), the API GITHUB_API_URL where Actions sets it; the site's
address defaults to the repository's GitHub Pages.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
from typing import Mapping, Optional

from allocbench.cli.base import (
    Command,
    add_json_option,
    add_results_option,
    add_table_option,
    print_json,
)
from allocbench.errors import UserError


def pages_url(repository: str) -> str:
    """The GitHub Pages address of `repository` (owner/name)."""
    owner, _, name = repository.partition("/")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def run_url(environ: Mapping[str, str]) -> Optional[str]:
    """The Actions run this is, from the variables Actions sets; None outside Actions."""
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    server, repository, run = (environ.get(name, "") for name in names)
    if not (server.startswith("https://") and repository and run.isdigit()):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run}"


class Notify(Command):
    name = "notify"
    help = "open, update or close a GitHub issue per confirmed regression"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        add_table_option(parser)
        parser.add_argument(
            "--repository", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY"
        )
        parser.add_argument(
            "--site-url", metavar="URL", help="the published site (default: the repository's Pages)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read the issues, say what it would do, write nothing",
        )
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import releases
        from allocbench.notify import found, github, sync

        repository = args.repository or os.environ.get("GITHUB_REPOSITORY", "")
        if not repository:
            raise UserError("no repository: set GITHUB_REPOSITORY or --repository OWNER/NAME")
        token = os.environ.get("GITHUB_TOKEN") or None
        if token is None and not args.dry_run:
            raise UserError("GITHUB_TOKEN is not set (issues: write); --dry-run needs none")
        client = github.Client(repository, token, os.environ.get("GITHUB_API_URL") or github.API)
        site = args.site_url or pages_url(repository)
        if not re.match(r"https?://[^\s/]+", site):
            raise UserError(f"--site-url is not an http(s) address: {site!r}")
        regressions = found.confirmed(pathlib.Path(args.results), releases.load(args.table))
        done = sync.sync(client, regressions, site, run_url(os.environ), args.dry_run)
        if args.json:
            print_json({"repository": repository, "dry_run": args.dry_run,
                        "confirmed": [r.key for r in regressions],
                        "issues": [d.as_dict() for d in done]})  # fmt: skip
            return 0
        would = "would " if args.dry_run else ""
        for d in done:
            number = f"#{d.number}" if d.number is not None else "a new issue"
            print(f"{would}{d.action} {number}: {d.title}")
        if not done:
            print("no confirmed regression and no open regression issue: nothing to do")
        return 0
