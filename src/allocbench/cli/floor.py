"""``allocbench floor``: each flagged timed figure's spread over fresh processes of one release."""

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


class Floor(Command):
    name = "floor"
    help = "measure how far each flagged timed figure moves by itself (fresh processes)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_results_option(parser)
        add_table_option(parser)
        parser.add_argument("--machine", help="this machine's results (default: any)")
        parser.add_argument("--env", help="the asv environment (default: the newest release's)")
        parser.add_argument("--processes", type=positive_int, default=5,
                            help="fresh processes (default 5)")  # fmt: skip
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import releases
        from allocbench.report import floor

        entry = floor.run(pathlib.Path.cwd(), pathlib.Path(args.results),
                          releases.load(args.table), args.machine, args.env, args.processes,
                          say=(lambda _: None) if args.json else print)  # fmt: skip
        if args.json:
            print_json(entry)
            return 0
        for line in floor.lines(entry):
            print(line)
        return 0
