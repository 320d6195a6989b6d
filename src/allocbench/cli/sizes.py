"""``allocbench sizes``: the size grids, in bytes."""

from __future__ import annotations

import argparse

from allocbench.catalog import GRIDS, format_size
from allocbench.cli.base import Command, add_json_option, print_json


class Sizes(Command):
    name = "sizes"
    help = "list the size grids, in bytes"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        if args.json:
            print_json({k: list(v) for k, v in GRIDS.items()})
            return 0
        width = max(map(len, GRIDS))
        for name, grid in GRIDS.items():
            print(f"{name:<{width}}  " + ", ".join(format_size(n) for n in grid))
        return 0
