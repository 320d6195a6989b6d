"""``allocbench report``: what the results say, in words, tables and plots."""

from __future__ import annotations

import argparse

from allocbench.cli.base import (
    Command,
    add_ledger_option,
    add_results_option,
    add_table_option,
)


class Report(Command):
    name = "report"
    help = "what the results say, in words and plots (report/)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        parser.add_argument("--out", default="report", help="where to write README.md and plots")
        parser.add_argument("--machine", help="only this machine's results (default: all)")
        add_table_option(parser)
        add_ledger_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench import report
        from allocbench.history import ledger, releases

        candidates = ledger.candidate_releases(args.ledger)
        path = report.write(args.results, args.out, releases.load(args.table), args.machine,
                            candidates)  # fmt: skip
        print(f"report written to {path}")
        return 0
