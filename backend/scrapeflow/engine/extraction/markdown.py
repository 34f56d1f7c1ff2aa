"""Page HTML to clean markdown of the main content: what an LLM reads, and what users can download."""

from __future__ import annotations

import re

from markdownify import markdownify
from selectolax.lexbor import LexborHTMLParser

_NOISE = "script, style, noscript, template, svg, iframe, form, nav, header, footer, aside, [role=navigation], [hidden]"
_MAIN = ("main", "[role=main]", "article", "#content", ".content", "#main")
_BLANK_LINES = re.compile(r"\n{3,}")


def main_content_html(html: str) -> str:
    tree = LexborHTMLParser(html)
    for node in tree.css(_NOISE):
        node.decompose()
    for selector in _MAIN:
        found = tree.css_first(selector)
        if found is not None and len(found.text(strip=True)) > 80:
            return found.html or ""
    return tree.body.html if tree.body is not None and tree.body.html else ""


def to_markdown(html: str) -> str:
    return markdown_of(main_content_html(html))


def markdown_of(content_html: str) -> str:
    """Markdown of an HTML fragment taken as is (no main-content selection)."""
    content = markdownify(content_html, heading_style="ATX", bullets="-", strip=["img"])
    lines = [line.rstrip() for line in content.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"
