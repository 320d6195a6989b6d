"""The suite's files, read and written so that nothing hangs and nothing is half-written.

What the suite reads from a user (a release table, asv's results) is read only from a regular
file of bounded size and nesting, so that a FIFO or a device cannot hang a run and a hostile
file cannot exhaust the interpreter. What it writes goes to a temporary file in the same
folder, is flushed to disk and renamed over the old file, so that a full disk, a file size
limit or a kill leaves the old file whole; a failed write is one line naming the path, and
leaves no partial file behind. Standard library only: the asv install step imports it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pathlib
import shutil
import stat
import tempfile
from typing import Any, Iterator, Union

from allocbench.errors import UserError

PathLike = Union[str, pathlib.Path]

#: The largest file the suite reads: asv's results files of the whole history stay well below.
MAX_BYTES = 64 * 1024 * 1024
#: The deepest nesting of a JSON file the suite reads: asv's files nest 4 levels.
MAX_DEPTH = 32


class FileError(UserError):
    """A file cannot be read or written as asked; the message names it and says why."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_error(path: PathLike, exc: OSError) -> FileError:
    """The one-line error for a failed write of `path`."""
    hint = {errno.ENOSPC: "; the disk is full", errno.EFBIG: "; the file size limit was hit",
            errno.EROFS: ""}.get(exc.errno, "")  # fmt: skip
    return FileError(f"cannot write {path}: {_why(exc)}{hint}")


def read_bytes(path: PathLike, limit: int = MAX_BYTES) -> bytes:
    """The contents of `path`, which must be a regular file of at most `limit` bytes."""
    path = pathlib.Path(path)
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise FileError(f"cannot read {path}: {_why(exc)}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileError(f"{path}: not a regular file")
        if info.st_size > limit:
            raise FileError(f"{path}: {info.st_size} bytes, more than the {limit} accepted")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise FileError(f"cannot read {path}: {_why(exc)}") from None
    if len(data) > limit:
        raise FileError(f"{path}: more than the {limit} bytes accepted")
    return data


def read_text(path: PathLike, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of the regular file `path`, of at most `limit` bytes."""
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return depth
        nxt: list = []
        for item in level:
            if isinstance(item, dict):
                nxt.extend(item.values())
            elif isinstance(item, list):
                nxt.extend(item)
        level = nxt
    return depth - 1


def load_json(path: PathLike, limit: int = MAX_BYTES) -> Any:
    """The JSON value in the regular file `path`: bounded in size and in nesting."""
    text = read_text(path, limit)
    try:
        value = json.loads(text)
    except RecursionError:
        raise FileError(f"{path}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise FileError(f"{path}: not JSON ({exc})") from None
    if _depth(value) > MAX_DEPTH:
        raise FileError(f"{path}: nested more than {MAX_DEPTH} levels deep")
    return value


def _fsync_folder(folder: pathlib.Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def replacing(path: PathLike) -> Iterator[pathlib.Path]:
    """A temporary path beside `path` to write; on a clean exit it is flushed to disk and
    renamed over `path`. On any failure it is removed and `path` is left as it was; an
    OSError becomes a FileError naming `path`."""
    path = pathlib.Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from None
    temporary = pathlib.Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise write_error(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_folder(path.parent)


def write_bytes(path: PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (see `replacing`)."""
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: PathLike, text: str) -> None:
    """Write `text`, UTF-8, to `path` atomically (see `replacing`)."""
    write_bytes(path, text.encode("utf-8"))


def move(source: PathLike, target: PathLike) -> None:
    """Move the file `source` to `target`, across filesystems too: on another filesystem the
    copy is complete on disk before the original is removed. A file that is not regular (a
    FIFO) holds no data and is removed where it cannot be renamed."""
    source, target = pathlib.Path(source), pathlib.Path(target)
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise write_error(target, exc) from None
    if stat.S_ISREG(os.lstat(source).st_mode):
        with replacing(target) as temporary:
            shutil.copyfile(source, temporary)
    try:
        source.unlink()
    except OSError as exc:
        raise FileError(f"cannot remove {source}: {_why(exc)}") from None
