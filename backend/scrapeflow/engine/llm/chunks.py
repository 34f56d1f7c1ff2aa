"""Long pages in parts that fit one request, and the parts' rows merged back into the page's rows.

Tokens are estimated at four characters each (no tokenizer download; close enough for English
markdown to size requests, and the server's `usage` gives the real count afterwards).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scrapeflow.engine.llm.schema import Row

CHARS_PER_TOKEN = 4
_BLOCKS = re.compile(r"\n{2,}")


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def _pieces(block: str, limit: int) -> list[str]:
    """A block no longer than `limit` characters, else its lines, else hard cuts."""
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    for line in block.split("\n"):
        pieces.extend(line[start : start + limit] for start in range(0, max(len(line), 1), limit))
    return pieces


def split_markdown(markdown: str, max_tokens: int) -> list[str]:
    """Parts of at most `max_tokens`, cut between blocks, preferably before a heading.

    Each part after the first repeats the previous part's last block when it is short (typically
    a heading), so an item cut at the boundary keeps its name in both parts and merges back.
    """
    limit = max(max_tokens, 1) * CHARS_PER_TOKEN
    text = markdown.strip()
    if len(text) <= limit:
        return [text]
    blocks = [piece for block in _BLOCKS.split(text) if block.strip() for piece in _pieces(block, limit)]
    parts: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        current = parts[-1]
        heading_break = block.startswith("#") and size >= limit // 2
        if current and (size + len(block) + 2 > limit or heading_break):
            carried = current[-1] if len(current[-1]) <= limit // 4 and not heading_break else None
            parts.append([carried] if carried else [])
            size = len(carried) + 2 if carried else 0
        parts[-1].append(block)
        size += len(block) + 2
    return ["\n\n".join(part) for part in parts if part]


def halve(text: str) -> list[str]:
    """Two parts of about equal size, cut between blocks (before a heading when one is near the middle)."""
    blocks = [block for block in _BLOCKS.split(text.strip()) if block.strip()]
    if len(blocks) < 2:
        half = len(text) // 2
        return [text[:half], text[half:]] if half else [text]
    offsets, total = [], 0
    for block in blocks[:-1]:
        total += len(block) + 2
        offsets.append(total)
    middle = len(text) / 2
    cuts = range(len(offsets))
    before_headings = [
        cut for cut in cuts if blocks[cut + 1].startswith("#") and abs(offsets[cut] - middle) < middle / 2
    ]
    cut = min(before_headings or cuts, key=lambda cut: abs(offsets[cut] - middle))
    return ["\n\n".join(blocks[: cut + 1]), "\n\n".join(blocks[cut + 1 :])]


def _filled(value: object) -> bool:
    return value is not None and value != "" and value != []


def _compatible(left: Row, right: Row) -> bool:
    return all(left[key] == value for key, value in right.items() if _filled(value) and _filled(left.get(key)))


def _shares_value(left: Row, right: Row) -> bool:
    return any(_filled(value) and left.get(key) == value for key, value in right.items())


def _fill(target: Row, source: Row) -> None:
    for key, value in source.items():
        if _filled(value) and not _filled(target.get(key)):
            target[key] = value


def merge_part_rows(parts: Sequence[Sequence[Row]]) -> list[Row]:
    """The rows of consecutive parts of one page, as one list.

    A row continues a row of the previous part when no field disagrees and either they share a
    value (the same item cut at the boundary, or repeated by the overlap) or both parts found a
    single row (one item described across the whole page). Other rows are new.
    """
    merged: list[Row] = []
    previous: list[Row] = []
    previous_count = 0
    for rows in parts:
        if not rows:
            continue
        current: list[Row] = []
        candidates = list(previous)
        single = previous_count == 1 and len(rows) == 1
        for row in rows:
            match = next(
                (old for old in candidates if _compatible(old, row) and (single or _shares_value(old, row))),
                None,
            )
            if match is not None:
                candidates.remove(match)
                _fill(match, row)
                current.append(match)
                continue
            fresh = dict(row)
            merged.append(fresh)
            current.append(fresh)
        previous, previous_count = current, len(rows)
    return merged
