"""Running `extract` nodes: fields relative to the page or to each list item, typed and transformed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapeflow.engine.extraction import transforms
from scrapeflow.engine.extraction.document import Lexbor, Lxml, PageDocument
from scrapeflow.engine.extraction.structured import json_ld_lookup
from scrapeflow.engine.extraction.values import absolute_url, parse_date, parse_number, parse_price
from scrapeflow.workflow.nodes import ExtractData, ExtractField

Row = dict[str, Any]


@dataclass
class ExtractResult:
    rows: list[Row]
    # How many rows had no value for each field: a selector that matches nothing shows up here.
    misses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _backend(data: ExtractData) -> Lexbor | Lxml:
    uses_xpath = data.item_selector_type == "xpath" or any(f.selector_type == "xpath" for f in data.fields)
    return Lxml("xpath") if uses_xpath else Lexbor()


def _backend_for(spec: ExtractField, shared: Lexbor | Lxml) -> Lexbor | Lxml:
    if isinstance(shared, Lxml):
        return Lxml(spec.selector_type)
    return shared


def _raw(doc: PageDocument, scope: Any, spec: ExtractField, backend: Lexbor | Lxml) -> Any:
    if spec.selector_type == "jsonld":
        return json_ld_lookup(doc.json_ld, spec.selector)
    nodes = backend.select(scope, spec.selector)
    if not spec.multiple:
        nodes = nodes[:1]
    values: list[Any] = []
    for node in nodes:
        if spec.type == "html":
            values.append(backend.html(node))
        elif spec.attribute:
            values.append(backend.attribute(node, spec.attribute))
        elif spec.type == "url":
            values.append(backend.attribute(node, "href") or backend.attribute(node, "src") or backend.text(node))
        else:
            values.append(backend.text(node))
    if spec.multiple:
        return values
    return values[0] if values else None


def _typed(spec: ExtractField, value: Any, base_url: str, row: Row) -> Any:
    if value is None or spec.type in ("text", "html"):
        return value
    if isinstance(value, list):
        return [_typed(spec, item, base_url, row) for item in value]
    if spec.type == "number":
        return parse_number(value)
    if spec.type == "price":
        amount, currency = parse_price(value)
        if currency and f"{spec.name}_currency" not in row:
            row[f"{spec.name}_currency"] = currency
        return amount
    if spec.type == "date":
        return parse_date(value)
    return absolute_url(value, base_url)


def _row(doc: PageDocument, scope: Any, data: ExtractData, backend: Lexbor | Lxml, result: ExtractResult) -> Row:
    row: Row = {}
    for spec in data.fields:
        value = _raw(doc, scope, spec, _backend_for(spec, backend))
        try:
            value = transforms.apply(spec.transforms, value)
        except transforms.TransformError as exc:
            result.errors.append(f"{spec.name}: {exc}")
            value = None
        row[spec.name] = _typed(spec, value, doc.url, row)
        if row[spec.name] is None or row[spec.name] == []:
            result.misses[spec.name] = result.misses.get(spec.name, 0) + 1
    return row


def _page_root(doc: PageDocument, backend: Lexbor | Lxml) -> Any:
    return doc.selector if isinstance(backend, Lxml) else doc.tree


def run_extract(doc: PageDocument, data: ExtractData, scopes: list[Any] | None = None) -> ExtractResult:
    """Rows from one page; `scopes` (from a `loop` step) limits each row to one matched element."""
    backend = _backend(data)
    result = ExtractResult(rows=[])
    roots = scopes if scopes is not None else [_page_root(doc, backend)]
    for root in roots:
        if data.mode == "list" and data.item_selector:
            items = (
                Lxml(data.item_selector_type).select(root, data.item_selector)
                if isinstance(backend, Lxml)
                else backend.select(root, data.item_selector)
            )
            result.rows.extend(_row(doc, item, data, backend, result) for item in items)
        else:
            result.rows.append(_row(doc, root, data, backend, result))
    return result


def loop_scopes(doc: PageDocument, selector: str, data: ExtractData) -> list[Any]:
    """The elements a `loop` step iterates over, in the backend the next extract will use."""
    backend = _backend(data)
    root = _page_root(doc, backend)
    if isinstance(backend, Lxml):
        return Lxml("css").select(root, selector)
    return backend.select(root, selector)
