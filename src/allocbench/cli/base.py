"""The base of every ``allocbench`` subcommand, and the options several of them share.

A subcommand is a subclass of ``Command`` in a module of its own in this package; defining
it registers it. Each imports what it measures or reads inside ``run``, so that a command of
the history or the report never imports numba.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from typing import Any, Dict, NoReturn, Optional, Type

#: Every subcommand, by name, in the order their modules are imported.
REGISTRY: Dict[str, Type[Command]] = {}


class Command:
    """One subcommand: its name, one line of help, its options and what it does."""

    name = ""
    help = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's options to its parser."""

    def run(self, args: argparse.Namespace) -> int:
        """Do the command; the exit status. Raise UserError for what the user can fix."""
        raise NotImplementedError


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a mistake in the arguments is one line on standard error and exit
    status 1, as every other mistake a user can make (argparse prints its usage and exits 2)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(1)


def version() -> str:
    """This package's version, as installed."""
    from importlib import metadata

    try:
        return metadata.version("allocbench")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"allocbench {version()}")


def add_path_option(
    parser: argparse.ArgumentParser, *flags: str, default: Optional[object] = None, **kw: Any
) -> None:
    """An allocation path (or several, with nargs) by name, checked against the catalog's
    names without listing them all in the help: `allocbench paths` lists them."""
    from allocbench.catalog import PATH_NAMES

    parser.add_argument(*flags, choices=PATH_NAMES, metavar="PATH", default=default,
                        help=kw.pop("help", "an allocation path (allocbench paths lists them)"),
                        **kw)  # fmt: skip


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def add_table_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", help="release table (default: the package's releases.tsv)")


def add_ledger_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger", default=".asv/ledger", help="the history's ledger: it names the candidates"
    )


def add_results_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", default=".asv/results", help="asv results directory")


def print_json(data: object) -> None:
    print(json.dumps(data, indent=1))


def positive_int(text: str) -> int:
    """A whole number of at least 1, for an option."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


#: Where numba's git repository is, when --repo is not given.
NUMBA_GIT_VARIABLE = "ALLOCBENCH_NUMBA_GIT"


def add_numba_git_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=pathlib.Path, metavar="GITDIR",
                        help=f"numba's git (default ${NUMBA_GIT_VARIABLE})")  # fmt: skip


def numba_git(args: argparse.Namespace) -> pathlib.Path:
    """numba's git repository: --repo, else $ALLOCBENCH_NUMBA_GIT; UserError where neither."""
    from allocbench.errors import UserError

    found = args.repo or os.environ.get(NUMBA_GIT_VARIABLE)
    if not found:
        raise UserError(f"name numba's git repository: --repo GITDIR or ${NUMBA_GIT_VARIABLE} "
                        "(a clone of https://github.com/numba/numba)")  # fmt: skip
    return pathlib.Path(found)


def size_argument(text: str) -> int:
    """A size in bytes for an option: a positive multiple of 4096."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size in bytes: {text!r}") from None
    if value <= 0 or value % 4096:
        raise argparse.ArgumentTypeError(f"size must be a positive multiple of 4096: {value}")
    return value
