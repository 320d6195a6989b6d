"""The ``allocbench`` command: one subcommand per module of this package.

Errors the user can fix (``allocbench.errors.UserError``) end in one line on standard error
and exit status 1; Ctrl-C ends in one line and exit status 130.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from allocbench.cli import (  # noqa: F401  (each module registers its command)
    build_numba,
    cliff,
    explain,
    fresh,
    history,
    ledger,
    merge,
    paths,
    ratio,
    releases,
    report,
    site,
    sizes,
)
from allocbench.cli.base import REGISTRY
from allocbench.errors import UserError

#: What the suite needs beyond the fix: the `bench` extra.
SUITE_ONLY = ("asv", "matplotlib", "virtualenv")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `allocbench` command, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="allocbench", description="Every way to get a fresh array in numpy and numba code."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command_class in REGISTRY.items():
        command = command_class()
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `allocbench` console script; the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as exc:
        print(f"allocbench {args.command}: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        if exc.name not in SUITE_ONLY:
            raise
        print(f"allocbench {args.command}: needs {exc.name}: pip install 'allocbench[bench]'",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print(f"allocbench {args.command}: interrupted", file=sys.stderr)
        return 130
