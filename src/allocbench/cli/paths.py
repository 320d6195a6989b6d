"""``allocbench paths``: the allocation paths, by stable name."""

from __future__ import annotations

import argparse
from typing import Dict

from allocbench.catalog import PATH_INFO, PathInfo
from allocbench.cli.base import Command, add_json_option, print_json


def _as_json(path: PathInfo) -> Dict[str, object]:
    return {
        "name": path.name,
        "library": path.library,
        "value": path.value,
        "description": path.description,
    }


class Paths(Command):
    name = "paths"
    help = "list the allocation paths"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        paths = PATH_INFO.values()
        if args.json:
            print_json([_as_json(p) for p in paths])
            return 0
        width = max(len(p.name) for p in paths)
        for p in paths:
            print(f"{p.name:<{width}}  {p.description}")
        return 0
