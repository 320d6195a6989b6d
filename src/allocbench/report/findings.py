"""What the report says, as data: findings (a claim, its figures, its links) and tables.

A claim is Text: our own words, and the pieces a renderer writes its own way: a name read from
the results (Name), code (Code), emphasis (Bold) and links (Href). The Markdown and HTML renderers
(``render_markdown``, ``render_html``) each escape a name as their format needs; neither
reads what the other wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple, Union


class _Joins:
    """Pieces that join into Text with +."""

    def __add__(self, other: Union[str, Piece, Text]) -> Text:
        return Text.of(self, other)

    def __radd__(self, other: Union[str, Piece, Text]) -> Text:
        return Text.of(other, self)


@dataclass(frozen=True)
class Name(_Joins):
    """A name read from the results (a machine, an environment, a release, a parameter)."""

    value: object


@dataclass(frozen=True)
class Code(_Joins):
    """Code, a command or a setting, shown as it is written."""

    value: object


@dataclass(frozen=True)
class Bold(_Joins):
    """The words a claim leads with."""

    text: Text


@dataclass(frozen=True)
class Href(_Joins):
    """A link inside a claim: its words (shown as a name is) and its address (ours, not read
    from the results)."""

    words: str
    href: str


Piece = Union[str, Name, Code, Bold, Href]


@dataclass(frozen=True)
class Text(_Joins):
    """A run of pieces."""

    pieces: Tuple[Piece, ...] = ()

    @classmethod
    def of(cls, *parts: Union[str, Piece, Text]) -> Text:
        """The parts, in order, as one Text."""
        pieces: Tuple[Piece, ...] = ()
        for part in parts:
            pieces += part.pieces if isinstance(part, Text) else (part,)
        return cls(tuple(p for p in pieces if p != ""))

    def __bool__(self) -> bool:
        return bool(self.pieces)


def bold(*parts: Union[str, Piece, Text]) -> Bold:
    """`parts` emphasised."""
    return Bold(Text.of(*parts))


def join(parts: list[Union[str, Piece, Text]], between: str) -> Text:
    """`parts` with `between` between each two."""
    out: list = []
    for i, part in enumerate(parts):
        out += [between, part] if i else [part]
    return Text.of(*out)


@dataclass(frozen=True)
class Link:
    """A link into asv's graphs (or any page), and its words."""

    words: str
    href: str


@dataclass(frozen=True)
class Figure:
    """A plot (a file name beside the page, or None for a link alone), its caption, and the
    asv graph that shows the same."""

    image: Optional[str]
    caption: str
    link: Optional[Link] = None


@dataclass(frozen=True)
class Finding:
    """One claim of the report (a bullet, or a paragraph), with its figures."""

    claim: Text
    bullet: bool = True
    figures: Tuple[Figure, ...] = ()


@dataclass(frozen=True)
class Table:
    """A table of figures: its header and rows of cells."""

    header: Tuple[str, ...]
    rows: Tuple[Tuple[Text, ...], ...]


Block = Union[Finding, Table]


def bullet(*parts: Union[str, Piece, Text]) -> Finding:
    """A finding shown as a bullet."""
    return Finding(Text.of(*parts))


def paragraph(*parts: Union[str, Piece, Text]) -> Finding:
    """A finding shown as a paragraph of its own."""
    return Finding(Text.of(*parts), bullet=False)
