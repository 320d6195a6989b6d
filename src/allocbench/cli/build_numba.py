"""``allocbench build-numba``: build a numba wheel whose np.zeros uses calloc, from its sdist."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import Command, add_json_option, print_json


class BuildNumba(Command):
    name = "build-numba"
    help = "build a numba release from its sdist with the calloc np.zeros patch"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("version", metavar="VERSION", help="numba release, e.g. 0.68.1")
        parser.add_argument(
            "--out", default=".asv/wheels", metavar="DIR", help="where the wheel goes"
        )
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import patched_numba

        wheel = patched_numba.build_wheel(args.version, pathlib.Path(args.out))
        if args.json:
            version = patched_numba.patched_version(args.version)
            print_json({"wheel": str(wheel), "version": version})
        else:
            print(wheel)
        return 0
