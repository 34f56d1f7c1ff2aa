"""Learning selectors from the LLM's rows for a page: find where each value sits, name it steadily, verify it.

For each field value the model gave, the page is searched for the elements whose text (exactly,
or with a short fixed wording around it: "by Müller") or value attribute (`content`, `href`,
`datetime`…) gives that value after the field's type conversion. Each such element's candidate
selectors (`hooks.candidate_selectors`, steadiest first) are tried by reading the field with
them, exactly as a later page will, and kept only when they reproduce the model's value.

A page with several rows is a list: the rows' values locate one element per row (an anchor),
each anchor's item is its highest ancestor that holds no other row, and the item selector is a
hook all items share that selects exactly those items, in the model's order. Field selectors
are then relative to the item and must reproduce every row's value; a row the model left empty
teaches that the field may be absent, or which text ("No reviews yet") means no value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapeflow.engine.extraction.document import Lexbor, PageDocument
from scrapeflow.engine.llm.hooks import SKIP_TAGS, Hook, candidate_selectors, hooks, words
from scrapeflow.engine.llm.schema import Row, convert
from scrapeflow.engine.llm.selectors import MAX_NULL_TEXTS, LearnedField, PageTemplate, read_field
from scrapeflow.workflow.nodes import LlmField

MAX_SPOTS = 6
MAX_CANDIDATES = 60
MAX_AFFIX = 32
_NAMED = re.compile(r'#([\w-]+)|\[(?:id|data-[\w-]+)="([^"]*)"\]')  # ids and data values in a selector
_VALUE_ATTRIBUTES = ("content", "href", "src", "datetime", "value", "title", "alt")


@dataclass(frozen=True)
class _Spot:
    """Where a value sits: an element's text (around which `prefix`/`suffix` are fixed words) or attribute."""

    node: Any
    attribute: str | None = None
    prefix: str = ""
    suffix: str = ""
    slack: int = 0  # characters of the element's text that are not the value: tighter spots first


@dataclass
class Learning:
    template: PageTemplate | None
    notes: dict[str, str] = field(default_factory=dict)  # field → why no selector was learned


def same(kind: str, left: Any, right: Any) -> bool:
    if isinstance(left, float | int) and isinstance(right, float | int) and not isinstance(left, bool):
        return abs(left - right) <= 1e-9 * max(1.0, abs(right))
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(kind, a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right) and type(left) is type(right)


def _ancestors(node: Any) -> list[Any]:
    chain = []
    parent = node.parent
    while parent is not None and not str(parent.tag).startswith("-"):
        chain.append(parent)
        parent = parent.parent
    return chain


class PageIndex:
    """The page's elements with their text, computed once for all fields and rows."""

    def __init__(self, doc: PageDocument) -> None:
        self.doc = doc
        self.texts: dict[int, str] = {}
        self.elements: list[Any] = []
        root = doc.tree.root
        for node in root.traverse() if root is not None else ():
            tag = str(node.tag)
            if tag.startswith("-") or tag in SKIP_TAGS:
                continue
            self.elements.append(node)
            self.texts[node.mem_id] = Lexbor.text(node)

    def _text_spot(self, kind: str, text: str, target: Any) -> _Spot | None:
        if kind in ("string", "list"):
            wanted = str(target[0] if kind == "list" else target)
            start = text.casefold().find(wanted.casefold())
            if start < 0 or not wanted:
                return None
            prefix, suffix = text[:start], text[start + len(wanted) :]
            if len(prefix) > MAX_AFFIX or len(suffix) > MAX_AFFIX:
                return None
            if (prefix and prefix[-1].isalnum()) or (suffix and suffix[0].isalnum()):
                return None  # the value would end inside a word
            return _Spot(None, None, prefix, suffix, len(prefix) + len(suffix))
        if kind in ("date", "boolean") and len(text) > 40:
            return None  # fuzzy date and yes/no reading only of short texts, never of a paragraph
        return _Spot(None, slack=len(text)) if same(kind, convert(kind, text, self.doc.url), target) else None

    def spots(self, kind: str, target: Any, within: Any = None) -> list[_Spot]:
        """The elements holding `target` (a converted value), tightest first."""
        nodes = self.elements if within is None else [n for n in within.traverse() if n.mem_id in self.texts]
        texts: list[_Spot] = []
        found: list[_Spot] = []
        for node in nodes:
            text = self.texts[node.mem_id]
            if text and len(text) <= 300:
                spot = self._text_spot(kind, text, target)
                if spot is not None:
                    texts.append(_Spot(node, None, spot.prefix, spot.suffix, spot.slack))
            if kind == "list":
                continue
            for name, raw in node.attributes.items():
                readable = raw and (name in _VALUE_ATTRIBUTES or str(name).startswith("data-"))
                if readable and same(kind, convert(kind, str(raw), self.doc.url), target):
                    found.append(_Spot(node, str(name)))
        # An element whose text holds the value only because a child's does is not a spot of its own.
        tight = {spot.node.mem_id: spot.slack for spot in texts}
        loose = {
            ancestor.mem_id
            for spot in texts
            for ancestor in _ancestors(spot.node)
            if ancestor.mem_id in tight and tight[ancestor.mem_id] > spot.slack
        }
        found += [spot for spot in texts if spot.node.mem_id not in loose]
        return sorted(found, key=lambda spot: spot.slack)[:MAX_SPOTS]


def _rank(hook: Hook, spot: _Spot, field_words: frozenset[str]) -> tuple[int, int]:
    return (hook.score - (1 if hook.words & field_words else 0), spot.slack)


def _column(
    items: Sequence[Any], rows: Sequence[Row], spec: LlmField, base: LearnedField, url: str
) -> LearnedField | None:
    """`base` with what the rows teach about empty values, if it reproduces every row; else None."""
    learned = LearnedField(base.selector, base.type, base.attribute, base.prefix, base.suffix)
    for item, row in zip(items, rows, strict=True):
        wanted = row.get(spec.name)
        reading = read_field(item, learned, url)
        if wanted not in (None, []):
            if reading.problem or not same(spec.type, reading.value, wanted):
                return None
        elif not reading.matched:
            learned.optional = True
        elif reading.problem and reading.raw is not None:
            if reading.raw not in learned.null_texts:
                learned.null_texts.append(reading.raw)
        elif reading.value not in (None, []):
            return None  # the selector finds a value where the model saw none
    return learned if len(learned.null_texts) <= MAX_NULL_TEXTS else None


def _names_the_page(selector: str, own: frozenset[str]) -> bool:
    named = words(" ".join(part for pair in _NAMED.findall(selector) for part in pair))
    return bool(named) and (len(named & own) >= 2 or named <= own)


def _learn_field(
    index: PageIndex, spec: LlmField, items: Sequence[Any], rows: Sequence[Row], seeds: Sequence[int]
) -> LearnedField | None:
    field_words = words(spec.name)
    best: tuple[tuple[int, int], LearnedField] | None = None
    for seed in seeds:
        scope = items[seed]
        within = None if scope is index.doc.tree else scope
        # On a single page nothing else checks that an id or attribute value is not this page's own
        # ("#kobo-deluxe-lamp" on /products/kobo-deluxe-lamp.html): skip those naming the page or the value.
        own = words(urlsplit(index.doc.url).path) | words(str(rows[seed][spec.name])) if within is None else None
        for spot in index.spots(spec.type, rows[seed][spec.name], within):
            for tried, hook in enumerate(candidate_selectors(spot.node, scope)):
                rank = _rank(hook, spot, field_words)
                if tried >= MAX_CANDIDATES:
                    break
                if (best is not None and rank >= best[0]) or (own and _names_the_page(hook.selector, own)):
                    continue
                base = LearnedField(hook.selector, spec.type, spot.attribute, spot.prefix, spot.suffix)
                learned = _column(items, rows, spec, base, index.doc.url)
                if learned is not None:
                    best = (rank, learned)
        if best is not None:
            break
    return None if best is None else best[1]


def _anchors(index: PageIndex, rows: Sequence[Row], fields: Sequence[LlmField]) -> dict[int, Any]:
    """One element per row that no other row shares, by the field that tells the most rows apart."""
    best: dict[int, Any] = {}
    for spec in fields:
        if spec.type in ("boolean", "list"):
            continue
        found: dict[int, Any] = {}
        for number, row in enumerate(rows):
            if row.get(spec.name) is None:
                continue
            spots = [spot for spot in index.spots(spec.type, row[spec.name]) if spot.attribute is None]
            # The deepest holders: a heading and the link inside it that both read the title are one place.
            outer = {ancestor.mem_id for spot in spots for ancestor in _ancestors(spot.node)}
            deepest = [spot.node for spot in spots if spot.node.mem_id not in outer]
            if len(deepest) == 1:
                found[number] = deepest[0]
        if len({node.mem_id for node in found.values()}) == len(found) and len(found) > len(best):
            best = found
    return best


def _shared_hooks(nodes: Sequence[Any]) -> list[Hook]:
    """The hooks every one of `nodes` has (all the same element kind, as list items are)."""
    others = [set(hooks(node)) for node in nodes[1:]]
    return [hook for hook in hooks(nodes[0]) if all(hook in kept for kept in others)]


def _items(index: PageIndex, anchors: dict[int, Any], count: int) -> tuple[str, list[Any]] | None:
    """The item selector and its items: each anchor's highest ancestor holding no other anchor, or below it."""
    chains = {number: [*reversed(_ancestors(node)), node] for number, node in anchors.items()}
    cover = Counter(n.mem_id for chain in chains.values() for n in chain)
    tops = {number: next(i for i, n in enumerate(chain) if cover[n.mem_id] == 1) for number, chain in chains.items()}
    found: list[tuple[int, int, str, list[Any]]] = []
    for depth in range(4):
        level = {
            number: chain[tops[number] + depth] for number, chain in chains.items() if tops[number] + depth < len(chain)
        }
        if len(level) < len(chains):
            break
        nodes = list(level.values())
        shared = _shared_hooks(nodes)
        outer = _shared_hooks([node.parent for node in nodes])[:4]
        shared += [Hook(f"{o.selector} > {h.selector}", max(o.score, h.score) + 1) for o in outer for h in shared]
        for hook in sorted(shared, key=lambda hook: hook.score):
            selected = Lexbor.select(index.doc.tree, hook.selector)
            if len(selected) == count and all(selected[number] == node for number, node in level.items()):
                found.append((hook.score, depth, hook.selector, selected))
                break
    if not found:
        return None
    _, _, selector, selected = min(found, key=lambda entry: (entry[0], entry[1]))
    return selector, selected


def learn_template(
    doc: PageDocument, rows: Sequence[Row], fields: Sequence[LlmField], index: PageIndex | None = None
) -> Learning:
    """A verified template for the fields the model gave values for (`rows` already converted to the fields' types)."""
    index = index or PageIndex(doc)
    learning = Learning(template=None)
    if not rows:
        learning.notes = {spec.name: "the model found no rows to learn from" for spec in fields}
        return learning
    item_selector: str | None = None
    items: list[Any] = [doc.tree]
    if len(rows) > 1:
        anchors = _anchors(index, rows, fields)
        located = _items(index, anchors, len(rows)) if len(anchors) >= max(2, len(rows) // 2) else None
        if located is None:
            learning.notes = {spec.name: "could not tell the list's items apart on the page" for spec in fields}
            return learning
        item_selector, items = located
    learned: dict[str, LearnedField] = {}
    for spec in fields:
        seeds = [number for number, row in enumerate(rows) if row.get(spec.name) not in (None, [])][:3]
        if not seeds:
            learning.notes[spec.name] = "the model found no value to learn from"
            continue
        found = _learn_field(index, spec, items, rows, seeds)
        if found is None:
            learning.notes[spec.name] = "no element on the page gives the model's value"
        else:
            learned[spec.name] = found
    if learned:
        learning.template = PageTemplate(fields=learned, item_selector=item_selector, learned_from=doc.url)
    return learning
