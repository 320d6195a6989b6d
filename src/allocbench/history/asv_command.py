"""asv's own command line, with every JSON file it writes replaced atomically.

asv writes a results file in place: a full disk, a file size limit or a kill part-way through
leaves it truncated, and with it every earlier measurement of that release and environment
(asv merges them into the file it rewrites). The history runs asv as
``python -m allocbench.history.asv_command ARGS`` instead, which hands asv's writer a
temporary file beside the target and renames it over the target only once it is whole and on
disk (``allocbench.files.replacing``). A write that fails ends asv with one line naming the
file, and the file keeps its earlier contents. SIGINT, which the history sends to stop asv,
ends it quietly once asv has stopped its own children.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, List, Optional

from allocbench.files import FileError, replacing


def atomic(write_json: Callable[..., None]) -> Callable[..., None]:
    """asv's `write_json`, writing through a temporary file renamed into place."""

    def write(path: str, data: Any, api_version: Optional[int] = None, compact: bool = False):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with replacing(path) as temporary:
            write_json(str(temporary), data, api_version, compact)

    return write


def main(argv: Optional[List[str]] = None) -> None:
    """Run asv's command line with `argv` (default: this process's arguments)."""
    from asv import main as asv_main
    from asv import util

    util.write_json = atomic(util.write_json)
    if argv is not None:
        sys.argv = ["asv", *argv]
    try:
        asv_main.main()
    except FileError as exc:
        print(f"asv: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # the history stops asv with SIGINT, and says so itself
        sys.exit(130)


if __name__ == "__main__":
    main()
