"""The report's findings as HTML for the front page: every name and word escaped."""

from __future__ import annotations

import html
from typing import Sequence

from allocbench.report.findings import Block, Bold, Code, Figure, Finding, Href, Name, Text
from allocbench.report.words import one_line


def inline(text: Text) -> str:
    """`text` as HTML."""
    out = []
    for piece in text.pieces:
        if isinstance(piece, Name):
            out.append(html.escape(one_line(piece.value)))
        elif isinstance(piece, Code):
            out.append(f"<code>{html.escape(one_line(piece.value))}</code>")
        elif isinstance(piece, Bold):
            out.append(f"<b>{inline(piece.text)}</b>")
        elif isinstance(piece, Href):
            href = html.escape(piece.href, quote=True)
            out.append(f'<a href="{href}">{html.escape(one_line(piece.words))}</a>')
        else:
            out.append(html.escape(piece))
    return "".join(out)


def findings(blocks: Sequence[Block]) -> str:
    """The claims of `blocks`: the bullets as one list, then the paragraphs (tables are the
    Markdown report's, and the front page links to asv's graphs instead)."""
    claims = [b for b in blocks if isinstance(b, Finding) and b.claim]
    items = "".join(f"<li>{inline(b.claim)}</li>" for b in claims if b.bullet)
    paragraphs = "".join(f"<p>{inline(b.claim)}</p>" for b in claims if not b.bullet)
    return (f"<ul>{items}</ul>" if items else "") + paragraphs


def figure(shown: Figure, folder: str) -> str:
    """A plot (in `folder`) with its caption and the link to its asv graph."""
    picture = (
        f'<img src="{folder}/{shown.image}" alt="{html.escape(shown.caption)}">'
        if shown.image
        else ""
    )
    link = (
        f'<a href="{html.escape(shown.link.href)}">{html.escape(shown.link.words)}</a>'
        if shown.link
        else ""
    )
    return f"<figure>{picture}<figcaption>{html.escape(shown.caption)} {link}</figcaption></figure>"
