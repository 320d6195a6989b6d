"""``allocbench fresh``: the first call in a fresh process against the steady state."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from allocbench.catalog import FRESH_SIZES, HEADLINE_PATHS, format_size
from allocbench.cli.base import (
    Command,
    add_json_option,
    add_path_option,
    print_json,
    size_argument,
)
from allocbench.errors import UserError


class Fresh(Command):
    name = "fresh"
    help = "first call in a fresh process against steady state (seconds)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_path_option(parser, "--paths", nargs="+", default=list(HEADLINE_PATHS),
                        help="allocation paths (allocbench paths lists them)")  # fmt: skip
        parser.add_argument("--sizes", nargs="+", type=size_argument, default=list(FRESH_SIZES))
        parser.add_argument("--repeats", type=int, choices=range(1, 21), default=3, metavar="1-20")
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.harness import fresh
        from allocbench.harness.probes import fits_in_memory

        too_big = [n for n in args.sizes if not fits_in_memory(n, copies=2)]
        if too_big:
            print(
                "skipped, does not fit in available memory: "
                + ", ".join(format_size(n) for n in too_big),
                file=sys.stderr,
            )
        if len(too_big) == len(args.sizes):
            raise UserError("nothing measured: no size fits in the memory this process may use")
        records = fresh.measure(args.paths, args.sizes, args.repeats)
        if args.json:
            print_json([dataclasses.asdict(r) for r in records])
        else:
            print(fresh.format_table(records))
        return 0
