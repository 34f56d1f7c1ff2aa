"""The node's fields as a JSON Schema for structured output, and the checks and conversions of an answer."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from scrapeflow.engine.extraction.document import normalise_space
from scrapeflow.engine.extraction.values import absolute_url, parse_date, parse_number
from scrapeflow.workflow.nodes import LlmField

Row = dict[str, Any]

_JSON_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}
TYPE_HINTS = {
    "number": "a plain number: no currency, units or thousands separators",
    "integer": "a whole number",
    "boolean": "true or false",
    "date": "a date in ISO 8601 (YYYY-MM-DD, with the time if the page gives one)",
    "url": "a link target as the page writes it",
    "list": "every item, each as text",
}
_TRUE = {"true", "yes", "y", "1", "in stock", "instock", "available", "on", "limitedavailability", "onlineonly"}
_FALSE = {"false", "no", "n", "0", "out of stock", "outofstock", "sold out", "soldout", "unavailable", "off"}
_FALSE |= {"discontinued", "backorder", "preorder", "presale"}
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class AnswerError(ValueError):
    """The model's answer is not JSON that fits the fields; the message is written for the model."""


def field_schema(spec: LlmField) -> dict[str, Any]:
    schema: dict[str, Any]
    if spec.type == "list":
        schema = {"type": ["array", "null"], "items": {"type": "string"}}
    else:
        schema = {"type": [_JSON_TYPES.get(spec.type, "string"), "null"]}
    description = "; ".join(part for part in (spec.description, TYPE_HINTS.get(spec.type)) if part)
    if description:
        schema["description"] = description
    return schema


def answer_schema(fields: Sequence[LlmField]) -> dict[str, Any]:
    """`{"rows": [{field: value}]}` in the subset of JSON Schema that strict structured output accepts."""
    row = {
        "type": "object",
        "properties": {spec.name: field_schema(spec) for spec in fields},
        "required": [spec.name for spec in fields],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"rows": {"type": "array", "items": row}},
        "required": ["rows"],
        "additionalProperties": False,
    }


def parse_boolean(value: Any) -> bool | None:
    """'yes', 'In stock', 'https://schema.org/InStock' → True; 'no', 'Sold out' → False; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    if not isinstance(value, str):
        return None
    text = normalise_space(value).lower().rstrip(".!")
    if "schema.org/" in text:
        text = text.rsplit("/", 1)[-1]
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def convert(kind: str, value: Any, base_url: str) -> Any:
    """A value in the field's type, or None when it cannot be one (which for a non-null value is an error)."""
    if value is None:
        return None
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        texts = [convert("string", item, base_url) for item in items]
        return [text for text in texts if text is not None]
    if isinstance(value, dict | list):
        return None
    if kind == "number":
        return parse_number(value)
    if kind == "integer":
        number = parse_number(value)
        if number is None or (isinstance(number, float) and not number.is_integer()):
            return None
        return int(number)
    if kind == "boolean":
        return parse_boolean(value)
    if kind == "date":
        return parse_date(str(value))
    if kind == "url":
        return absolute_url(value if isinstance(value, str) else None, base_url)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = normalise_space(str(value))
    return text or None


def convert_rows(rows: Sequence[Row], fields: Sequence[LlmField], base_url: str) -> list[Row]:
    return [{spec.name: convert(spec.type, row.get(spec.name), base_url) for spec in fields} for row in rows]


def check_answer(content: str, fields: Sequence[LlmField], base_url: str) -> list[Row]:
    """The answer's rows (values as the model gave them, only the node's fields); AnswerError if it does not fit.

    Lenient where nothing is lost (a code fence, a bare list of rows, a missing field read as
    null), strict where a value cannot be what its field says (a number field given "cheap").
    """
    fenced = _FENCE.match(content)
    text = fenced.group(1) if fenced else content.strip()
    if not text:
        raise AnswerError("Your answer was empty.")
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise AnswerError(f"Your answer was not valid JSON ({exc}).") from None
    rows = payload.get("rows") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and rows is None and any(spec.name in payload for spec in fields):
        rows = [payload]
    if not isinstance(rows, list):
        raise AnswerError('Your answer must be a JSON object of the form {"rows": [{...}, ...]}.')
    checked: list[Row] = []
    problems: list[str] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(f"rows[{index}] is not an object")
            continue
        for spec in fields:
            value = row.get(spec.name)
            if value is not None and value != [] and convert(spec.type, value, base_url) in (None, []):
                problems.append(
                    f"rows[{index}].{spec.name} = {json.dumps(value, ensure_ascii=False)[:80]} is not a {spec.type}"
                )
        checked.append({spec.name: row.get(spec.name) for spec in fields})
    if problems:
        raise AnswerError("Your answer does not fit the field schema: " + "; ".join(problems[:10]) + ".")
    return checked
