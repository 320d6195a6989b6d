"""The llvmlite a numba source tree needs: the range its setup.py states, and a release in it.

numba's setup.py names its llvmlite as ``min_llvmlite_version = "0.37.0.dev0"`` and
``max_llvmlite_version = "0.38"`` (0.49 on), or earlier in ``install_requires`` as
``'llvmlite>=0.31.0dev0'``. A development tree asks for the next llvmlite's dev version;
the release of that version satisfies it. The choice is the newest llvmlite of the release
table (those numba releases installed with) inside the range, among the rows whose wheels
cover the interpreter's Python: so only versions the table vouches for reach pip.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from allocbench.errors import UserError
from allocbench.history.releases import Release

_MIN = re.compile(r"""^\s*min_llvmlite_version\s*=\s*["']([0-9][0-9a-z.]{0,30})["']""", re.M)
_MAX = re.compile(r"""^\s*max_llvmlite_version\s*=\s*["']([0-9][0-9a-z.]{0,30})["']""", re.M)
_REQUIRES = re.compile(
    r"""["']llvmlite\s*>=\s*([0-9][0-9a-z.]{0,30})(?:\s*,\s*<\s*([0-9][0-9a-z.]{0,30}))?"""
)


class NoLlvmlite(UserError):
    """No llvmlite fits the source tree; the message says why."""


Range = Tuple[Version, Optional[Version]]


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise NoLlvmlite(f"setup.py names llvmlite {text!r}, not a version") from None


def llvmlite_range(setup_py: str) -> Range:
    """(lowest, below which) llvmlite `setup_py` accepts; no upper bound where it names none."""
    low, high = _MIN.search(setup_py), _MAX.search(setup_py)
    if low:
        return _version(low.group(1)), _version(high.group(1)) if high else None
    found = _REQUIRES.search(setup_py)
    if found:
        return _version(found.group(1)), _version(found.group(2)) if found.group(2) else None
    raise NoLlvmlite("setup.py names no llvmlite version")


def accepts(span: Range, version: Version) -> bool:
    """Whether the released `version` lies in `span`: at or above the lowest's release (a dev
    or candidate minimum is met by its release) and below the bound."""
    low, high = span
    return version >= Version(low.base_version) and (high is None or version < high)


def choose(span: Range, table: Sequence[Release], python: str) -> str:
    """The newest llvmlite of the release table in `span` that has wheels for `python`
    ('3.8'); NoLlvmlite where none does."""
    found = sorted({Version(r.llvmlite) for r in table if python in r.pythons
                    and accepts(span, Version(r.llvmlite))})  # fmt: skip
    if not found:
        high = f", below {span[1]}" if span[1] is not None else ""
        raise NoLlvmlite(f"no llvmlite of the release table for Python {python} at or above "
                         f"{span[0]}{high}")  # fmt: skip
    return str(found[-1])
