"""Structured data a page carries for machines: JSON-LD blocks and microdata items."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode


def _flatten(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [item for entry in value for item in _flatten(entry)]
    if isinstance(value, dict):
        graph = value.get("@graph")
        return [value] if graph is None else _flatten(graph)
    return []


def json_ld(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page (`@graph` unrolled); broken blocks are skipped."""
    objects: list[dict[str, Any]] = []
    for script in tree.css('script[type="application/ld+json"]'):
        text = script.text(deep=True, strip=True)
        if not text:
            continue
        try:
            objects.extend(_flatten(json.loads(text)))
        except ValueError:
            continue
    return objects


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type", [])
    return [str(k).rsplit("/", 1)[-1] for k in (kind if isinstance(kind, list) else [kind])]


def _nested(value: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Objects of type `kind` inside `value` (not `value` itself), in document order."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if isinstance(child, dict | list):
            if isinstance(child, dict) and kind in _types(child):
                yield child
            yield from _nested(child, kind)


def _typed(objects: list[dict[str, Any]], kind: str) -> Iterator[dict[str, Any]]:
    """Top-level objects of type `kind`, then those nested in others (a Product's AggregateRating, Offer)."""
    yield from (item for item in objects if kind in _types(item))
    for item in objects:
        yield from _nested(item, kind)


def json_ld_lookup(objects: list[dict[str, Any]], path: str) -> Any:
    """Resolve `Product.offers.price` (type first, optional) or `offers.price` over the JSON-LD objects.

    The type may also be that of a nested object: `AggregateRating.ratingValue` reads a Product's
    `aggregateRating`; top-level objects of the type come first.
    """
    parts = [part for part in path.split(".") if part]
    if not parts:
        return None
    candidates: Iterable[dict[str, Any]] = objects
    if parts[0][:1].isupper():
        candidates = _typed(objects, parts[0])
        parts = parts[1:]
    for item in candidates:
        value: Any = item
        for part in parts:
            if isinstance(value, list):
                value = value[0] if value else None
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
        if value is not None:
            return value
    return None


def _microdata_value(node: LexborNode) -> Any:
    if "itemscope" in node.attributes:
        return _microdata_item(node)
    for attribute in ("content", "href", "src", "datetime", "value"):
        value = node.attributes.get(attribute)
        if value is not None:
            return value
    return node.text(deep=True, separator=" ", strip=True)


def _microdata_item(root: LexborNode) -> dict[str, Any]:
    """An item's properties in document order; nested items keep their own properties."""
    item: dict[str, Any] = {}
    if root.attributes.get("itemtype"):
        item["@type"] = str(root.attributes["itemtype"]).rsplit("/", 1)[-1]
    stack = list(reversed(list(root.iter())))
    while stack:
        node = stack.pop()
        prop = node.attributes.get("itemprop")
        if prop:
            value = _microdata_value(node)
            for name in str(prop).split():
                item.setdefault(name, value)
        if "itemscope" not in node.attributes:
            stack.extend(reversed(list(node.iter())))
    return item


def microdata(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """Top-level microdata items (those not themselves a property of another item)."""
    return [_microdata_item(node) for node in tree.css("[itemscope]:not([itemprop])")]
