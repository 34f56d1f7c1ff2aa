"""Post-processing steps over the row stream: transform, filter, dedupe."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import regex

from scrapeflow.engine.extraction import transforms
from scrapeflow.engine.extraction.fields import Row
from scrapeflow.engine.extraction.values import parse_number
from scrapeflow.workflow.nodes import DedupeData, FilterData, TransformData
from scrapeflow.workflow.plan import Step

# For `dedupe` with emit new/changed: the previous value of a row by key (None when it is new).
PreviousRows = Callable[[str], Row | None]


def row_key(row: Row, keys: list[str] | None) -> str:
    """The identity of a row: its key fields, or the whole row when no key is set."""
    basis = {key: row.get(key) for key in keys} if keys else row
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:32]


def row_diff(before: Row, after: Row) -> dict[str, Any]:
    """Field-level changes, `{field: {"from": old, "to": new}}`; a field missing on one side counts as null."""
    return {
        field: {"from": before.get(field), "to": after.get(field)}
        for field in sorted(before.keys() | after.keys())
        if before.get(field) != after.get(field)
    }


def _compare(value: Any, op: str, target: Any) -> bool:
    if op == "exists":
        return value not in (None, "", [])
    if op == "not_exists":
        return value in (None, "", [])
    if value is None:
        return False
    if op in ("gt", "gte", "lt", "lte"):
        left, right = parse_number(value), parse_number(target)
        if left is None or right is None:
            return False
        return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
    text, wanted = str(value), "" if target is None else str(target)
    if op == "contains":
        return wanted.lower() in text.lower()
    if op == "not_contains":
        return wanted.lower() not in text.lower()
    if op == "regex":
        try:
            return regex.search(wanted, text, timeout=transforms.REGEX_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            return False
    equal = (
        value == target
        or text == wanted
        or (parse_number(value) is not None and parse_number(value) == parse_number(target))
    )
    return equal if op == "eq" else not equal


def post_process(rows: Iterable[Row], steps: tuple[Step, ...], previous: PreviousRows | None = None) -> Iterator[Row]:
    """Stream rows through the post steps in order; dedupe remembers the keys it has seen in this run."""
    stream: Iterable[Row] = rows
    for step in steps:
        stream = _apply(step, stream, previous)
    yield from stream


def _apply(step: Step, rows: Iterable[Row], previous: PreviousRows | None) -> Iterator[Row]:
    data = step.data
    if isinstance(data, TransformData):
        for row in rows:
            try:
                value = transforms.apply(data.ops, row.get(data.field))
            except transforms.TransformError:
                value = None
            yield {**row, data.field: value}
    elif isinstance(data, FilterData):
        yield from (row for row in rows if _compare(row.get(data.field), data.op, data.value))
    elif isinstance(data, DedupeData):
        seen: set[str] = set()
        for row in rows:
            key = row_key(row, data.keys)
            if key in seen:
                continue
            seen.add(key)
            before = previous(key) if previous else None
            if data.emit == "new" and before is not None:
                continue
            if data.emit == "changed" and (before is None or not row_diff(before, row)):
                continue
            yield row
    else:
        yield from rows
