"""``allocbench releases``: the release table; ``--refresh`` appends new numba releases,
``--rebuild`` writes it anew, both by the table's one rule (`history.pypi.mainline`)."""

from __future__ import annotations

import argparse

from allocbench.cli.base import Command, add_json_option, add_table_option, print_json


class Releases(Command):
    name = "releases"
    help = "the release table; --refresh adds new numba releases, --rebuild writes it anew"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_table_option(parser)
        asks = parser.add_mutually_exclusive_group()
        asks.add_argument(
            "--refresh", action="store_true", help="append what the package index has new"
        )
        asks.add_argument(
            "--rebuild",
            action="store_true",
            help="write the whole table from the package index (the ledger is then rebuilt)",
        )
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import pypi, releases

        if args.rebuild:
            table = pypi.table_from_index(pypi.fetch_project())
            releases.save(table, args.table)
            print(f"{len(table)} releases: {table[0].numba} to {table[-1].numba}")
            return 0
        table = releases.load(args.table)
        if args.refresh:
            added, skipped = pypi.new_releases(table, pypi.fetch_project())
            for version in skipped:
                print(f"left out numba {version}: an older patch released after a newer release")
            if added:
                releases.save(table + added, args.table)
            print(f"{len(added)} new releases: {', '.join(r.numba for r in added) or 'none'}")
            return 0
        if args.json:
            print_json([dict(zip(releases.COLUMNS, r.as_row())) for r in table])
            return 0
        print(releases.format_table(table), end="")
        return 0
