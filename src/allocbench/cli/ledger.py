"""``allocbench ledger``: build or extend the git ledger of numba releases."""

from __future__ import annotations

import argparse

from allocbench.cli.base import Command, add_table_option


class Ledger(Command):
    name = "ledger"
    help = "build or extend the git ledger of numba releases"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_table_option(parser)
        parser.add_argument("--dir", default=".asv/ledger", help="where the ledger lives")

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import ledger, releases

        ledger.build(releases.load(args.table), args.dir)
        for row in ledger.commits(args.dir):
            print(f"{row['commit'][:12]}  {row['authored']}  {' '.join(row['tags'])}")
        return 0
