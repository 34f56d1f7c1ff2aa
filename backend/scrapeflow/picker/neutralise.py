"""Make a fetched page inert for the in-app picker while keeping its element tree as the site serves it.

Selectors picked on the neutralised copy must match the real page, so nothing is removed or re-wrapped:
scripts become inert data blocks (`type="text/plain"`, emptied), event-handler attributes and `javascript:`
URLs go, frames and plug-ins lose their sources, forms lose their actions, and every resource the page loads
(images, stylesheets, fonts, CSS `url()`s) is rewritten to go through the API's guarded resource fetch.
The editor shows the result in a sandboxed iframe without `allow-scripts`, under a CSP that forbids scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

ResourceUrl = Callable[[str], str]
"""Maps an absolute resource URL to the API URL that serves it through the guarded fetch."""

_RESOURCE_ATTRIBUTES = {
    "img": ("src",),
    "source": ("src",),
    "video": ("poster",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
}
_SOURCE_SETS = ("srcset", "data-srcset")
_FRAME_TAGS = ("iframe", "frame", "object", "embed", "portal")
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "poster", "background")
_CSS_URL = re.compile(r"""url\(\s*(?P<quote>['"]?)(?P<url>[^'")]+)(?P=quote)\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?P<quote>['"])(?P<url>[^'"]+)(?P=quote)""", re.IGNORECASE)


def neutralise(html: str, base_url: str, resource_url: ResourceUrl) -> str:
    """The page, inert, with its resources fetched through `resource_url` and links made absolute."""
    tree = LexborHTMLParser(html)
    base = _base_href(tree, base_url)
    for node in tree.css("*"):
        _neutralise_node(node, base, resource_url)
    return tree.html or ""


def rewrite_css(css: str, base_url: str, resource_url: ResourceUrl) -> str:
    """A stylesheet with its `url()`s and `@import`s fetched through `resource_url`."""

    def replace(match: re.Match[str]) -> str:
        target = match.group("url").strip()
        if target.startswith(("data:", "#")):
            return match.group(0)
        return f'url("{resource_url(urljoin(base_url, target))}")'

    css = _CSS_IMPORT.sub(lambda m: f'@import url("{m.group("url")}")', css)
    return _CSS_URL.sub(replace, css)


def _base_href(tree: LexborHTMLParser, page_url: str) -> str:
    """The URL relative links resolve against (the page's `<base href>`, which is then removed so it can't
    point the copy elsewhere)."""
    base = page_url
    for node in tree.css("base"):
        href = node.attributes.get("href")
        if href:
            base = urljoin(page_url, href)
        for name in list(node.attributes):
            del node.attrs[name]
    return base


def _neutralise_node(node: LexborNode, base: str, resource_url: ResourceUrl) -> None:
    tag = node.tag or ""
    attributes = node.attrs
    for name, value in list(node.attributes.items()):
        lowered = name.lower()
        if lowered.startswith("on") or (
            lowered in _URL_ATTRIBUTES and value and value.strip().lower().startswith(("javascript:", "vbscript:"))
        ):
            del attributes[name]
    if tag == "script":
        for child in list(node.iter(include_text=True)):
            child.decompose()
        attributes["type"] = "text/plain"
        if "src" in node.attributes:
            del attributes["src"]
        return
    if tag in _FRAME_TAGS:
        for name in ("src", "data", "srcdoc"):
            if name in node.attributes:
                del attributes[name]
        return
    if tag == "meta" and (node.attributes.get("http-equiv") or "").lower() in ("refresh", "content-security-policy"):
        del attributes["http-equiv"]
        return
    if tag in ("form", "button", "input") and ("action" in node.attributes or "formaction" in node.attributes):
        for name in ("action", "formaction"):
            if name in node.attributes:
                del attributes[name]
    if tag == "link":
        _neutralise_link(node, base, resource_url)
    elif tag == "style":
        css = node.text(deep=True)
        for child in list(node.iter(include_text=True)):
            child.decompose()
        node.insert_child(rewrite_css(css, base, resource_url))
    for name in _RESOURCE_ATTRIBUTES.get(tag, ()):
        value = node.attributes.get(name)
        if value and not value.startswith("data:"):
            attributes[name] = resource_url(urljoin(base, value))
    for name in _SOURCE_SETS:
        value = node.attributes.get(name)
        if value:
            attributes[name] = _rewrite_srcset(value, base, resource_url)
    style = node.attributes.get("style")
    if style:
        attributes["style"] = rewrite_css(style, base, resource_url)
    if tag in ("a", "area"):
        href = node.attributes.get("href")
        if href and not href.startswith("#"):
            attributes["href"] = urljoin(base, href)  # shown and picked as the site has it; never followed


def _neutralise_link(node: LexborNode, base: str, resource_url: ResourceUrl) -> None:
    relations = set((node.attributes.get("rel") or "").lower().split())
    href = node.attributes.get("href")
    if not href:
        return
    if relations & {"stylesheet", "icon", "shortcut"}:
        node.attrs["href"] = resource_url(urljoin(base, href))
    else:  # preload, prefetch, manifest, modulepreload…: nothing the picker needs loaded
        del node.attrs["href"]


def _rewrite_srcset(value: str, base: str, resource_url: ResourceUrl) -> str:
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split()
        if parts:
            parts[0] = resource_url(urljoin(base, parts[0]))
            candidates.append(" ".join(parts))
    return ", ".join(candidates)
