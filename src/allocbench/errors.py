"""One base for the suite's own failures: what a user can fix, said in one line.

Every error the suite raises for bad input or an impossible request derives from
``UserError``; ``allocbench.cli`` turns it into ``allocbench COMMAND: message`` and exit
status 1. Anything else is a bug and keeps its traceback. Standard library only: the asv
install step imports it on Python 3.8.
"""


class UserError(Exception):
    """A failure the user can act on; the message says what and why."""


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwound as Ctrl-C is, so that children and scratch folders
    are cleaned up on the way out, and the command exits 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
