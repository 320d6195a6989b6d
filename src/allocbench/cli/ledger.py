"""``allocbench ledger``: build or extend the git ledger of numba releases (and candidates)."""

from __future__ import annotations

import argparse

from allocbench.cli.base import Command, add_json_option, add_table_option, print_json


class Ledger(Command):
    name = "ledger"
    help = "build or extend the git ledger of numba releases"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_table_option(parser)
        parser.add_argument(
            "--dir",
            default=".asv/ledger",
            help="where the ledger lives: a folder allocbench made, or a new or empty one",
        )
        parser.add_argument(
            "--candidates",
            action="store_true",
            help="also the release candidates on the package index, on the candidates branch",
        )
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import ledger, pypi, releases

        if not args.dir.strip():
            raise ledger.LedgerError("--dir is empty: name the ledger's folder (the current "
                                     "folder is never taken for it)")  # fmt: skip
        table = releases.load(args.table)
        ledger.open_ledger(args.dir)  # a folder that is not the ledger's: refused before the index
        candidates = pypi.candidates(pypi.fetch_project(), table) if args.candidates else []
        ledger.build(table, args.dir, candidates)
        if args.json:
            print_json({"commits": ledger.commits(args.dir),
                        "candidates": ledger.candidate_commits(args.dir)})  # fmt: skip
            return 0
        for row in ledger.commits(args.dir):
            print(f"{row['commit'][:12]}  {row['authored']}  {' '.join(row['tags'])}")
        for version in ledger.candidate_commits(args.dir):
            print(f"{ledger.CANDIDATES}: numba {version}")
        return 0
