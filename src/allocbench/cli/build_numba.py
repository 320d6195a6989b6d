"""``allocbench build-numba``: build a numba wheel whose np.zeros uses calloc, from a release's
sdist or from numba's main branch."""

from __future__ import annotations

import argparse
import pathlib

from allocbench.cli.base import (
    Command,
    add_json_option,
    add_numba_git_option,
    add_table_option,
    numba_git,
    print_json,
)


class BuildNumba(Command):
    name = "build-numba"
    help = "build a numba release (or main) with the calloc np.zeros patch"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("version", metavar="VERSION",
                            help="numba release, e.g. 0.68.1, or main (needs --repo)")  # fmt: skip
        parser.add_argument(
            "--out", default=".asv/wheels", metavar="DIR", help="where the wheel goes"
        )
        add_numba_git_option(parser)
        add_table_option(parser)
        add_json_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from allocbench.history import patched_main, patched_numba, releases

        if args.version == patched_main.MAIN:
            from allocbench.history.numba_git import Repository

            built = patched_main.build_main(Repository(numba_git(args)), pathlib.Path(args.out),
                                            releases.load(args.table))  # fmt: skip
            found = {"wheel": str(built.wheel), "version": built.version,
                     "commit": built.commit, "llvmlite": built.llvmlite}  # fmt: skip
            if args.json:
                print_json(found)
            else:
                print(built.wheel)
                print(f"numba main at {built.commit[:12]}, patched; install it with "
                      f"llvmlite=={built.llvmlite}")  # fmt: skip
            return 0
        wheel = patched_numba.build_wheel(args.version, pathlib.Path(args.out))
        if args.json:
            version = patched_numba.patched_version(args.version)
            print_json({"wheel": str(wheel), "version": version})
        else:
            print(wheel)
        return 0
