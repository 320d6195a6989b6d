"""``allocbench site``: after ``asv publish``, the front page and a grid without empty tiles."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import (
    Command,
    add_ledger_option,
    add_results_option,
    add_table_option,
)


class Site(Command):
    name = "site"
    help = "write the front page (answer.html) into the published site; list only what was measured"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        parser.add_argument("--html", default=".asv/html", help="the site asv publish wrote")
        add_table_option(parser)
        add_ledger_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import ledger, releases
        from allocbench.report import site

        candidates = ledger.candidate_releases(args.ledger)
        page = site.publish(pathlib.Path(args.html), pathlib.Path(args.results),
                            releases.load(args.table), candidates)  # fmt: skip
        print(f"front page written to {page}")
        return 0
