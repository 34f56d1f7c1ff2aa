"""CSS selectors for an element, steadiest first: the hooks that survive a site's next deploy.

Like the extension's picker (ids and test attributes first), but ranked for reuse on other pages
of the same site: a stable id, then `itemprop`, `data-*` attributes, semantic class names, other
meaningful attributes, the tag; then the same qualified by an ancestor's hook; a positional path
last. Ids, classes and values that look generated (hashes, counters, CSS-in-JS and utility
classes) are never used, since they change from page to page or deploy to deploy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scrapeflow.engine.extraction.document import SCOPE_ITSELF

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "path"})
_IDENT = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")
_GENERATED_PREFIX = re.compile(
    r"^(css|sc|jsx|svelte|emotion|styled|chakra|ember|react|yui|ext-gen|ui-id|radix|headlessui|mui|ng|v)[-_]", re.I
)
_UTILITY = re.compile(
    r"^(-?[mp][trblxy]?|[wh]|min-[wh]|max-[wh]|text|bg|border|rounded|shadow|gap|space-[xy]|flex|grid|cols?|row|"
    r"items|justify|content|self|font|leading|tracking|d|z|top|left|right|bottom|inset|opacity|overflow|float|"
    r"align|display|visible|invisible|sr|pull|push|offset|order-\w+)(-.*)?$"
)
_STATE = frozenset(
    {"active", "selected", "open", "show", "hidden", "current", "disabled", "first", "last", "odd", "even"}
    | {"clearfix", "container", "wrapper", "inner", "outer", "fade", "in", "lazy", "loaded", "js"}
)
_NOISY_DATA = re.compile(r"^data-(v-|reactid|react|gtm|ga\b|ga-|analytics|track|aos|bs-|toggle|target|ember|s-)")
_STABLE_ATTRIBUTES = ("name", "itemtype", "property", "role", "rel", "aria-label", "type")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def looks_generated(name: str) -> bool:
    """A hash, counter or framework-made name ('css-1x2y3z', 'sc-bdfBwQ', 'product-1234'), not one a person chose."""
    if not 2 <= len(name) <= 48 or re.search(r"\d{2,}", name) or re.search(r"[:\[\]/()@!%#=.,\s]", name):
        return True
    if _GENERATED_PREFIX.match(name):
        return True
    for segment in re.split(r"[-_]+", name):
        if len(segment) >= 5 and sum(ch.isupper() for ch in segment[1:]) >= 2:
            return True
        if re.fullmatch(r"[0-9a-f]{6,}", segment) or re.search(r"[a-z]\d[a-z]|\d[a-z]\d", segment, re.I):
            return True
    return False


def semantic_class(name: str) -> bool:
    return (
        bool(_IDENT.fullmatch(name))
        and not looks_generated(name)
        and not _UTILITY.match(name)
        and name.lower() not in _STATE
        and not name.startswith(("is-", "has-"))
    )


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word_list(text: str) -> list[str]:
    """Lower-case words of a name, in order: 'productTitle', 'product-title' → ['product', 'title']; 'SKU' → ['sku']."""
    return [word.lower() for word in _WORD.findall(text) if len(word) > 1]


def words(text: str) -> frozenset[str]:
    return frozenset(word_list(text))


@dataclass(frozen=True)
class Hook:
    selector: str
    score: int  # lower is steadier
    words: frozenset[str] = frozenset()


def hooks(node: Any) -> list[Hook]:
    """The element's own selectors, steadiest first (they may match other elements too)."""
    tag = str(node.tag)
    attributes = {str(k): (None if v is None else str(v)) for k, v in node.attributes.items()}
    found: list[Hook] = []
    element_id = attributes.get("id")
    if element_id and not looks_generated(element_id):
        selector = f"#{element_id}" if _IDENT.fullmatch(element_id) else f"[id={quote(element_id)}]"
        found.append(Hook(selector, 0, words(element_id)))
    prop = attributes.get("itemprop")
    if prop:
        found += [Hook(f"[itemprop={quote(prop)}]", 1, words(prop)), Hook(f"{tag}[itemprop={quote(prop)}]", 2)]
    for name, value in attributes.items():
        if not name.startswith("data-") or _NOISY_DATA.match(name) or looks_generated(name[5:]):
            continue
        if value and len(value) <= 40 and not looks_generated(value):
            found.append(Hook(f"[{name}={quote(value)}]", 2, words(name[5:]) | words(value)))
        found.append(Hook(f"[{name}]", 3, words(name[5:])))
    classes = [name for name in (attributes.get("class") or "").split() if semantic_class(name)]
    for name in classes:
        found += [Hook(f".{name}", 3, words(name)), Hook(f"{tag}.{name}", 4, words(name))]
    if len(classes) >= 2:
        found.append(Hook("." + ".".join(classes[:3]), 4, frozenset().union(*(words(c) for c in classes[:3]))))
    for name in _STABLE_ATTRIBUTES:
        value = attributes.get(name)
        if value and len(value) <= 80 and not re.search(r"\d{3,}", value):
            found.append(Hook(f"{tag}[{name}={quote(value)}]", 4, words(value)))
    found.append(Hook(tag, 6))
    return sorted(found, key=lambda hook: hook.score)


def _is_document(node: Any) -> bool:
    return node is None or str(node.tag).startswith("-")


def _ancestors(node: Any, scope: Any, limit: int) -> Iterator[Any]:
    """Ancestors of `node` inside `scope` (not the scope itself), nearest first."""
    parent = node.parent
    while limit > 0 and not _is_document(parent) and parent != scope and str(parent.tag) != "html":
        yield parent
        parent = parent.parent
        limit -= 1


def _position_path(node: Any, scope: Any) -> str | None:
    steps: list[str] = []
    current = node
    while not _is_document(current) and current != scope:
        parent = current.parent
        if _is_document(parent):
            break
        siblings = [child for child in parent.iter() if child.tag == current.tag]
        index = next(i for i, child in enumerate(siblings, 1) if child == current)
        steps.append(f"{current.tag}:nth-of-type({index})" if len(siblings) > 1 else str(current.tag))
        current = parent
        if str(current.tag) in ("html", "body"):
            steps.append(str(current.tag))
            break
    return " > ".join(reversed(steps)) if steps else None


def candidate_selectors(node: Any, scope: Any, *, ancestors: int = 4) -> Iterator[Hook]:
    """Selectors that may reach `node` from `scope` (the page's tree, or a list item), steadier first.

    Callers verify each by reading the value it gives: a selector is only as good as what it reproduces.
    """
    if node == scope:
        yield Hook(SCOPE_ITSELF, 0)
        return
    own = hooks(node)
    yield from own
    for depth, ancestor in enumerate(_ancestors(node, scope, ancestors), start=1):
        for outer in hooks(ancestor)[:4]:
            if outer.score >= 6:
                continue
            for inner in own[:6]:
                yield Hook(f"{outer.selector} {inner.selector}", max(outer.score, inner.score) + 1 + depth, inner.words)
    path = _position_path(node, scope)
    if path:
        yield Hook(path, 9)
