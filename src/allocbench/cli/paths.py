"""``allocbench paths``: the allocation paths, by stable name."""

from __future__ import annotations

import argparse

from allocbench.catalog import PATH_INFO
from allocbench.cli.base import Command, add_json_option, print_json


class Paths(Command):
    name = "paths"
    help = "list the allocation paths"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rows = [
            {"name": p.name, "library": p.library, "value": p.value, "description": p.description}
            for p in PATH_INFO.values()
        ]
        if args.json:
            print_json(rows)
            return 0
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            print(f"{r['name']:<{width}}  {r['description']}")
        return 0
