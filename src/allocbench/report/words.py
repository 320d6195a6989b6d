"""How the report writes a figure in words: a ratio, bytes, seconds, a span of values; and a
name read from the results, as Markdown that renders it as it is written."""

from __future__ import annotations

import re
from typing import Callable, Optional, Sequence

from allocbench.catalog import format_bytes


def times(value: Optional[float], digits: int = 3) -> str:
    """A ratio: '1.09x', '34,311x'; 'n/a' for None."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}x" if value >= 100 else f"{value:.{digits}g}x"


def nbytes(value: Optional[float]) -> str:
    """A size to the byte, in the catalog's words; 'n/a' for None."""
    return "n/a" if value is None else format_bytes(int(value))


def seconds(value: Optional[float]) -> str:
    """Seconds in the largest unit that keeps a digit before the point."""
    if value is None:
        return "n/a"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def span(values: Sequence[float], show: Callable[[float], str]) -> str:
    """'low to high', or one value where they are all the same."""
    low, high = min(values), max(values)
    return show(low) if low == high else f"{show(low)} to {show(high)}"


#: What a name read from the results must not carry into Markdown as it is: a backslash (it
#: would escape what follows), and the characters GitHub's Markdown reads as emphasis, code,
#: links, tables, headings' ends, strikethrough and math.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|#~$"})
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def one_line(value: object) -> str:
    """`value` as text on one line: line breaks and other control characters as spaces."""
    return "".join(" " if c < " " or c == "\x7f" else c for c in str(value))


def name(value: object) -> str:
    """A name read from the results (a machine, an environment, a commit, a parameter) as
    Markdown text that renders as it is written: no raw HTML, no emphasis, link or cell break."""
    text = one_line(value).translate(_HTML).translate(_MARKDOWN)
    # At the start of a bullet's text, '- ', '+ ' or '1. ' would open a list inside it.
    return re.sub(r"^(\s*)(?:([-+])|(\d{1,9})([.)]))(?=\s|$)", r"\1\3\\\2\4", text)


def code(value: object) -> str:
    """`value` as a Markdown code span, whatever backticks it holds: it renders as it is (only
    a `|` inside a table's cell would still need its backslash)."""
    text = one_line(value)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
