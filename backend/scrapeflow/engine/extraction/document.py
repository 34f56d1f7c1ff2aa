"""A fetched page parsed once, queried with CSS (lexbor, fast) or XPath (lxml, on first use)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from parsel import Selector
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapeflow.engine.extraction.structured import json_ld, microdata

SCOPE_ITSELF = ":scope"


def normalise_space(text: str) -> str:
    return " ".join(text.split())


class Lexbor:
    """CSS selection over selectolax's lexbor tree."""

    @staticmethod
    def select(scope: Any, selector: str) -> list[Any]:
        if selector == SCOPE_ITSELF:
            return [scope]
        nodes: list[LexborNode] = scope.css(selector)
        return nodes

    @staticmethod
    def text(node: Any) -> str:
        return normalise_space(node.text(deep=True, separator=" ", strip=False) or "")

    @staticmethod
    def attribute(node: Any, name: str) -> str | None:
        value = node.attributes.get(name)
        return None if value is None else str(value)

    @staticmethod
    def html(node: Any) -> str:
        return str(node.html or "")


class Lxml:
    """CSS and XPath selection over parsel (lxml), for nodes that use XPath."""

    def __init__(self, selector_type: str) -> None:
        self.selector_type = selector_type

    def select(self, scope: Any, selector: str) -> list[Any]:
        if selector == SCOPE_ITSELF:
            return [scope]
        found = scope.xpath(selector) if self.selector_type == "xpath" else scope.css(selector)
        return list(found)

    @staticmethod
    def text(node: Any) -> str:
        if isinstance(node.root, str):  # an XPath that selected text or an attribute value
            return normalise_space(node.root)
        return normalise_space(" ".join(node.xpath(".//text()").getall()))

    @staticmethod
    def attribute(node: Any, name: str) -> str | None:
        value = node.attrib.get(name) if not isinstance(node.root, str) else None
        return None if value is None else str(value)

    @staticmethod
    def html(node: Any) -> str:
        return str(node.get())


class PageDocument:
    def __init__(self, html: str, url: str) -> None:
        self.html = html
        self.url = url

    @cached_property
    def tree(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.html)

    @cached_property
    def selector(self) -> Selector:
        return Selector(text=self.html or "<html></html>", base_url=self.url)

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        return json_ld(self.tree)

    @cached_property
    def microdata(self) -> list[dict[str, Any]]:
        return microdata(self.tree)

    @cached_property
    def title(self) -> str | None:
        node = self.tree.css_first("title")
        return normalise_space(node.text()) if node is not None else None

    def links(self) -> list[str]:
        """Every `href` on the page, as written (resolve against `url`)."""
        return [str(node.attributes["href"]) for node in self.tree.css("a[href]") if node.attributes.get("href")]
