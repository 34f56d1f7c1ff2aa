"""Transform operations of `extract` fields and the `transform` node, applied in order."""

from __future__ import annotations

from typing import Any

import regex

from scrapeflow.engine.extraction.values import parse_date, parse_number, parse_price
from scrapeflow.workflow.nodes import (
    CaseOp,
    CastOp,
    DateOp,
    DefaultOp,
    NumberOp,
    PriceOp,
    RegexOp,
    ReplaceOp,
    TransformOp,
    TrimOp,
)

# A user's pattern gets this long per value; patterns that backtrack without end are cut off.
REGEX_TIMEOUT_SECONDS = 0.25


class TransformError(ValueError):
    pass


def _regex(op: RegexOp, value: str) -> str | None:
    try:
        match = regex.search(op.pattern, value, timeout=REGEX_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise TransformError(f"The pattern {op.pattern!r} took too long on this text; simplify it.") from exc
    if match is None:
        return None
    try:
        return match.group(op.group)
    except (IndexError, regex.error) as exc:
        raise TransformError(f"The pattern {op.pattern!r} has no group {op.group!r}.") from exc


def _replace(op: ReplaceOp, value: str) -> str:
    try:
        return regex.sub(op.pattern, op.replacement, value, timeout=REGEX_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise TransformError(f"The pattern {op.pattern!r} took too long on this text; simplify it.") from exc


def _cast(op: CastOp, value: Any) -> Any:
    if op.to == "str":
        return str(value)
    if op.to == "bool":
        return value.strip().lower() in {"1", "true", "yes", "y", "on"} if isinstance(value, str) else bool(value)
    number = parse_number(value)
    if number is None:
        return None
    return int(number) if op.to == "int" else float(number)


def apply_one(op: TransformOp, value: Any) -> Any:
    if isinstance(op, DefaultOp):
        return op.value if value is None or value == "" or value == [] else value
    if value is None:
        return None
    if isinstance(value, list):
        return [apply_one(op, item) for item in value]
    if isinstance(op, CastOp):
        return _cast(op, value)
    if isinstance(op, NumberOp):
        return parse_number(value, op.decimal)
    if isinstance(op, PriceOp):
        return parse_price(value, op.currency)[0]
    text = value if isinstance(value, str) else str(value)
    if isinstance(op, TrimOp):
        return " ".join(text.split())
    if isinstance(op, CaseOp):
        return text.lower() if op.op == "lowercase" else text.upper()
    if isinstance(op, RegexOp):
        return _regex(op, text)
    if isinstance(op, ReplaceOp):
        return _replace(op, text)
    if isinstance(op, DateOp):
        return parse_date(text, op.format)
    raise TransformError(f"Unknown transform {op!r}")


def apply(ops: list[TransformOp], value: Any) -> Any:
    for op in ops:
        value = apply_one(op, value)
    return value
