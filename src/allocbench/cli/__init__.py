"""The ``allocbench`` command: one subcommand per module of this package.

Errors the user can fix (``allocbench.errors.UserError``) end in one line on standard error
and exit status 1; Ctrl-C, SIGTERM and SIGHUP end in one line and exit status 128 + the
signal's number, after the command has stopped its children; a reader that closes the pipe
(``| head``) ends the output quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from typing import Iterator, Optional, Sequence

from allocbench.cli import (  # noqa: F401  (each module registers its command)
    bisect,
    build_numba,
    cliff,
    confirm,
    explain,
    floor,
    fresh,
    history,
    ledger,
    merge,
    notify,
    paths,
    ratio,
    releases,
    report,
    site,
    sizes,
)
from allocbench.cli.base import REGISTRY, Parser, add_version_option
from allocbench.errors import Stopped, UserError

#: What the suite needs beyond the fix: the `bench` extra.
SUITE_ONLY = ("asv", "matplotlib", "virtualenv")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `allocbench` command, one subparser per command."""
    parser = Parser(
        prog="allocbench", description="Every way to get a fresh array in numpy and numba code."
    )
    add_version_option(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command_class in REGISTRY.items():
        command = command_class()
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser


#: Signals that stop a command as Ctrl-C does: a CI cancel or `timeout`, a closed terminal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped in the main thread while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):  # a closed terminal (SIGHUP) cannot be written to
        print(text, file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `allocbench` console script; the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with _stopping_on_signals():
            code = args.run(args)
            sys.stdout.flush()  # a closed pipe is found here, not at the interpreter's exit
            return code
    except UserError as exc:
        _say(f"allocbench {args.command}: {exc}")
        return 1
    except BrokenPipeError:
        # The reader has gone: send what is left of the output nowhere, and stop quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except Stopped as exc:
        _say(f"allocbench {args.command}: stopped by {signal.Signals(exc.signum).name}")
        return 128 + exc.signum
    except ModuleNotFoundError as exc:
        if exc.name not in SUITE_ONLY:
            raise
        print(f"allocbench {args.command}: needs {exc.name}: pip install 'allocbench[bench]'",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        _say(f"allocbench {args.command}: interrupted")
        return 128 + signal.SIGINT
