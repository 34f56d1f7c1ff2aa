"""Extraction without an LLM: schema.org data (JSON-LD, microdata), meta tags and labelled values.

Each field is matched to a concept by the words of its name (the last word counts most) and
description: `product_name` → a name, `review_count` → a review count. Concepts know their
schema.org property paths, meta tags and the labels pages print. A field no source names is
reported as not found, with what was tried, never left silently empty.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.values import parse_currency
from scrapeflow.engine.llm.hooks import word_list, words
from scrapeflow.engine.llm.labels import first_price, label_pairs, main_heading, plain
from scrapeflow.engine.llm.schema import Row, convert
from scrapeflow.workflow.nodes import LlmField


@dataclass(frozen=True)
class Concept:
    name: str
    words: frozenset[str]
    paths: tuple[str, ...]
    meta: tuple[str, ...] = ()


def _concept(name: str, vocabulary: str, paths: str, meta: str = "") -> Concept:
    return Concept(name, frozenset(vocabulary.split()), tuple(paths.split()), tuple(meta.split()))


CONCEPTS = (
    _concept("title", "title name product headline heading", "name headline title", "og:title twitter:title"),
    _concept("price", "price cost amount", "offers.price offers.lowPrice offers.priceSpecification.price price"),
    _concept("currency", "currency", "offers.priceCurrency priceCurrency", "product:price:currency"),
    _concept("rating", "rating stars score", "aggregateRating.ratingValue reviewRating.ratingValue ratingValue"),
    _concept("reviews", "reviews review ratings count", "aggregateRating.reviewCount aggregateRating.ratingCount"),
    _concept("description", "description summary details about overview", "description", "og:description description"),
    _concept("image", "image photo picture thumbnail img", "image.url image thumbnailUrl", "og:image twitter:image"),
    _concept("url", "url link href permalink", "url offers.url @id", "og:url"),
    _concept("sku", "sku", "sku"),
    _concept("mpn", "mpn model", "mpn model"),
    _concept("gtin", "gtin ean upc barcode isbn", "gtin13 gtin gtin12 gtin14 gtin8 isbn"),
    _concept("brand", "brand manufacturer maker vendor", "brand.name brand manufacturer.name manufacturer"),
    _concept("date", "date published posted released publication", "datePublished dateCreated releaseDate startDate"),
    _concept("updated", "updated modified", "dateModified", "article:modified_time"),
    _concept("author", "author writer byline", "author.name author", "author article:author"),
    _concept("availability", "availability stock available instock inventory", "offers.availability availability"),
    _concept("category", "category categories section", "category articleSection", "article:section"),
    _concept("location", "location address city", "jobLocation.address.addressLocality address.addressLocality"),
    _concept("company", "company employer organization organisation", "hiringOrganization.name publisher.name"),
)
_SECONDARY_TYPES = {"BreadcrumbList", "WebSite", "WebPage", "SearchAction", "SiteNavigationElement", "ListItem"}
_SECONDARY_TYPES |= {"ImageObject", "Organization", "Brand", "Offer", "AggregateRating", "Rating", "PostalAddress"}
_WEAK = frozenset({"product", "item"})  # "product_url" is a URL, "product_name" a name
_SUFFIXES = frozenset({"url", "link", "href"})  # "image_url" is an image
_STOP = frozenset({"in", "of", "the", "per", "on", "at", "by", "for", "is"})
Source = tuple[str, str]  # (how it was found, to show the user; the raw value)


def concept_for(spec: LlmField) -> Concept | None:
    named = word_list(spec.name)
    described = words(spec.description)
    scores = []
    for concept in CONCEPTS:
        matched = concept.words & set(named)
        score = 2 * len(matched - _WEAK) + len(matched & _WEAK) + len(concept.words & described)
        # The last word names the thing ("review_count" is a count), unless it only says how it is written.
        score += 1 if named and named[-1] in concept.words and named[-1] not in _SUFFIXES else 0
        scores.append(score)
    best = max(scores)
    return CONCEPTS[scores.index(best)] if best > 0 else None


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type", [])
    return [str(k).rsplit("/", 1)[-1] for k in (kind if isinstance(kind, list) else [kind])]


def _resolve(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = next((value[key] for key in ("name", "url", "@id", "value") if value.get(key) is not None), None)
    return value if isinstance(value, str | int | float | bool) else None


def _main_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's subjects: the objects of its most common main type (several on a list page)."""
    for item in items:
        if "ItemList" in _types(item) and isinstance(item.get("itemListElement"), list):
            listed = [e.get("item", e) for e in item["itemListElement"] if isinstance(e, dict)]
            if len(listed) > 1 and all(isinstance(e, dict) for e in listed):
                return listed
    main = [item for item in items if not set(_types(item)) <= _SECONDARY_TYPES and "ItemList" not in _types(item)]
    if not main:
        return items[:1]
    kind, count = Counter(_types(item)[0] if _types(item) else "" for item in main).most_common(1)[0]
    return [item for item in main if (_types(item) or [""])[0] == kind] if count > 1 else main[:1]


def _lookup(item: dict[str, Any], spec: LlmField, concept: Concept | None) -> tuple[str, Any] | None:
    plain_name = re.sub(r"[^a-z0-9]", "", spec.name.lower())
    for key in item:
        if re.sub(r"[^a-z0-9]", "", key.lower()) == plain_name and (found := _resolve(item, key)) is not None:
            return key, found
    for path in concept.paths if concept else ():
        value = _resolve(item, path)
        if value is not None:
            return path, value
    return None


def _meta(doc: PageDocument, keys: Sequence[str]) -> Source | None:
    for key in keys:
        for node in doc.tree.css(f'meta[property="{key}"], meta[name="{key}"]'):
            content = node.attributes.get("content")
            if content:
                return f"the <meta {key}> tag", str(content)
    return None


def _label(pairs: list[tuple[str, str]], spec: LlmField, concept: Concept | None) -> Source | None:
    wanted = concept.words if concept else words(spec.name)
    plain_name = re.sub(r"[^a-z0-9]", "", spec.name.lower())
    for label, value in pairs:
        label_words = words(label) - _STOP
        if re.sub(r"[^a-z0-9]", "", label.lower()) == plain_name or (label_words and label_words <= wanted):
            return f"the label “{label}”", plain(value, keep_links=spec.type == "url")
    return None


def _fallback(doc: PageDocument, markdown: str, concept: Concept | None) -> Source | None:
    name = concept.name if concept else ""
    if name == "title" and (heading := main_heading(markdown)):
        return "the page's main heading", heading
    if name in ("price", "currency") and (price := first_price(markdown)):
        currency = parse_currency(price)
        if name == "price":
            return "the first price on the page", price
        if currency:
            return "the currency of the first price on the page", currency
    if name == "url":
        return "the page's own URL", doc.url
    return None


@dataclass
class DeterministicResult:
    rows: list[Row]
    found: dict[str, str] = field(default_factory=dict)  # field → where its value came from
    missing: dict[str, str] = field(default_factory=dict)  # field → what was tried


def extract_deterministic(doc: PageDocument, markdown: str, fields: Sequence[LlmField]) -> DeterministicResult:
    """One row per subject the page's structured data describes (one, unless it lists several)."""
    origins = [("JSON-LD", _main_items(doc.json_ld))] if doc.json_ld else []
    origins += [("microdata", _main_items(doc.microdata))] if doc.microdata else []
    subjects = max((len(items) for _, items in origins), default=1)
    rows: list[Row] = [{} for _ in range(max(subjects, 1))]
    result = DeterministicResult(rows=rows)
    pairs = label_pairs(markdown)
    for spec in fields:
        concept = concept_for(spec)
        for index, row in enumerate(rows):
            row[spec.name] = None
            sources: list[Source] = []
            for origin, items in origins:
                if index < len(items) and (hit := _lookup(items[index], spec, concept)) is not None:
                    sources.append((f"{origin} {(_types(items[index]) or ['item'])[0]}.{hit[0]}", str(hit[1])))
            if len(rows) == 1:
                for found in (_meta(doc, concept.meta if concept else ()), _label(pairs, spec, concept)):
                    if found is not None:
                        sources.append(found)
                sources += [found] if (found := _fallback(doc, markdown, concept)) else []
            for origin, raw in sources:
                value = convert(spec.type, raw, doc.url)
                if value not in (None, []):
                    row[spec.name] = value
                    result.found.setdefault(spec.name, origin)
                    break
        if spec.name not in result.found:
            result.missing[spec.name] = "not found: no JSON-LD, microdata, meta tag or label on this page gives " + (
                f"a {concept.name}" if concept else f"“{spec.name}”"
            )
    return result
