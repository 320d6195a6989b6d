"""``allocbench confirm``: each step the results name, measured again in fresh processes."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import (
    Command,
    add_json_option,
    add_results_option,
    add_table_option,
    positive_int,
    print_json,
)


class Confirm(Command):
    name = "confirm"
    help = "confirm each release step in fresh processes of both releases (rank test)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        add_table_option(parser)
        parser.add_argument("--machine", help="only this machine's results (default: all)")
        parser.add_argument("--rounds", type=positive_int, default=5,
                            help="fresh processes per release (default 5)")  # fmt: skip
        parser.add_argument("--max-pairs", type=positive_int, default=6,
                            help="release pairs measured in one run (default 6)")  # fmt: skip
        parser.add_argument("--budget", type=positive_int, default=1800, metavar="SECONDS",
                            help="no new pair starts after this (default 1800)")  # fmt: skip
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import releases
        from allocbench.report import confirm

        outcome = confirm.run(pathlib.Path.cwd(), pathlib.Path(args.results),
                              releases.load(args.table), args.machine, args.rounds,
                              args.max_pairs, float(args.budget),
                              say=(lambda _: None) if args.json else print)  # fmt: skip
        if args.json:
            print_json({"measured": outcome.measured, "current": outcome.current,
                        "not_checked": outcome.not_checked})  # fmt: skip
            return 0
        for line in confirm.lines(outcome):
            print(line)
        return 0
