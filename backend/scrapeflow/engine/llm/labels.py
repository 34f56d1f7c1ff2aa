"""Label/value pairs a page shows its readers, read from its markdown: "Price: $12", definition lists, spec tables."""

from __future__ import annotations

import re

_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_COLON_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(?P<label>[^:|\n]{1,48}?)\s*:\s+(?P<value>\S.{0,300}?)\s*$")
_DEFINITION = re.compile(r"^:\s+(?P<value>\S.*)$")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}")
_HEADING = re.compile(r"^#\s+(?P<text>.+)$", re.MULTILINE)
PRICE = re.compile(
    r"(?:[$€£¥₩₹]|US\$|USD|EUR|GBP)\s?\d[\d.,\u00a0\u202f]*\d|\d[\d.,\u00a0\u202f]*\d\s?(?:[$€£¥₩₹]|USD|EUR|GBP)"
)


def plain(text: str, *, keep_links: bool = False) -> str:
    """Markdown inline syntax removed: a link becomes its text (or its target), emphasis its words."""
    text = _LINK.sub(lambda m: m.group(2) if keep_links else m.group(1), text)
    return " ".join(_EMPHASIS.sub("", text).split())


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(lines: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    block: list[list[str]] = []
    for line in [*lines, ""]:
        if line.lstrip().startswith("|"):
            if not _TABLE_SEPARATOR.match(line.strip()):
                block.append(_cells(line))
            continue
        if len(block) == 2 and len(block[0]) == len(block[1]) > 2:
            pairs += list(zip(block[0], block[1], strict=True))  # a header and one item: a spec table
        elif block and all(len(row) == 2 for row in block):
            pairs += [(row[0], row[1]) for row in block]  # label | value rows
        block = []
    return pairs


def label_pairs(markdown: str) -> list[tuple[str, str]]:
    """(label, value) in page order; values keep markdown links so URL fields can read their target."""
    lines = markdown.splitlines()
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(lines):
        definition = _DEFINITION.match(line.strip())
        if definition and number > 0 and lines[number - 1].strip():
            pairs.append((plain(lines[number - 1]), definition.group("value").strip()))
            continue
        match = _COLON_LINE.match(_EMPHASIS.sub("", line))
        if match and not match.group("label").strip().startswith(("http", "#", ">")):
            pairs.append((plain(match.group("label")), match.group("value")))
    pairs += _tables(lines)
    return [(label, value) for label, value in pairs if label and value]


def main_heading(markdown: str) -> str | None:
    match = _HEADING.search(markdown)
    return plain(match.group("text")) if match else None


def first_price(markdown: str) -> str | None:
    match = PRICE.search(markdown)
    return match.group(0) if match else None
