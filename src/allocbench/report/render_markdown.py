"""The report's findings as Markdown: names escaped by ``words.name``, code by ``words.code``."""

from __future__ import annotations

from typing import List, Sequence

from allocbench.report import words
from allocbench.report.findings import Block, Bold, Code, Finding, Href, Name, Text


def inline(text: Text) -> str:
    """`text` as Markdown that renders as it is written."""
    out = []
    for piece in text.pieces:
        if isinstance(piece, Name):
            out.append(words.name(piece.value))
        elif isinstance(piece, Code):
            out.append(words.code(piece.value))
        elif isinstance(piece, Bold):
            out.append(f"**{inline(piece.text)}**")
        elif isinstance(piece, Href):
            out.append(f"[{words.name(piece.words)}](<{piece.href}>)")
        else:
            out.append(piece)
    return "".join(out)


def _finding(finding: Finding) -> List[str]:
    lines = [f"![{figure.caption}]({figure.image})" for figure in finding.figures if figure.image]
    if finding.claim:
        claim = inline(finding.claim)
        lines += ([""] if lines else []) + [f"- {claim}" if finding.bullet else claim]
    return lines


def lines(blocks: Sequence[Block]) -> List[str]:
    """The lines of `blocks`: a bullet or paragraph per finding, a table with a blank line
    before it where something comes before it."""
    out: List[str] = []
    for block in blocks:
        if isinstance(block, Finding):
            out += _finding(block)
            continue
        out += [""] if out else []
        out.append("| " + " | ".join(block.header) + " |")
        out.append("| " + " | ".join("---" for _ in block.header) + " |")
        out += ["| " + " | ".join(inline(cell) for cell in row) + " |" for row in block.rows]
    return out
