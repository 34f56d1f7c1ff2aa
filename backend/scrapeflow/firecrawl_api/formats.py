"""A fetched page in Firecrawl's formats: markdown, cleaned html, raw html, links and metadata."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from scrapeflow.engine.extraction.document import normalise_space
from scrapeflow.engine.extraction.markdown import main_content_html, markdown_of
from scrapeflow.engine.fetch import FetchedPage
from scrapeflow.firecrawl_api.schemas import Document, ScrapeRequest

_NOT_CONTENT = "script, style, noscript, template"
# <meta> names and properties Firecrawl reports under its own camelCase keys (single values).
_NAMED_META = {
    "description": "description",
    "keywords": "keywords",
    "robots": "robots",
    "og:title": "ogTitle",
    "og:description": "ogDescription",
    "og:url": "ogUrl",
    "og:image": "ogImage",
    "og:audio": "ogAudio",
    "og:determiner": "ogDeterminer",
    "og:locale": "ogLocale",
    "og:site_name": "ogSiteName",
    "og:video": "ogVideo",
    "article:published_time": "publishedTime",
    "article:modified_time": "modifiedTime",
    "article:section": "articleSection",
    "article:tag": "articleTag",
}
# Keys the SDKs type as single strings: a raw <meta> of the same name never replaces them.
_RESERVED = frozenset({"title", "description", "url", "language", "keywords", "robots", "favicon", "timezone", "error"})


class BadSelector(ValueError):
    """An includeTags/excludeTags selector the HTML parser cannot use."""


def _css(tree: LexborHTMLParser, selector: str) -> list[Any]:
    try:
        return list(tree.css(selector))
    except SelectolaxError as exc:
        raise BadSelector(f"{selector!r} is not a CSS selector this server can use.") from exc


def _absolute(tree: LexborHTMLParser, base_url: str) -> None:
    """Links and sources resolved against the page, so the html and markdown make sense anywhere."""
    for name in ("href", "src"):
        for node in tree.css(f"[{name}]"):
            value = node.attributes.get(name)
            if value:
                node.attrs[name] = urljoin(base_url, value.strip())


def content_html(html: str, base_url: str, request: ScrapeRequest) -> str:
    """The page's content as clean HTML: scripts and styles gone, excludeTags removed, then includeTags
    alone, or the main content (onlyMainContent), or the whole body."""
    tree = LexborHTMLParser(html)
    for node in tree.css(_NOT_CONTENT):
        node.decompose()
    for selector in request.exclude_tags:
        for node in _css(tree, selector):
            node.decompose()
    _absolute(tree, base_url)
    if request.include_tags:
        return "\n".join(node.html or "" for selector in request.include_tags for node in _css(tree, selector))
    if request.only_main_content:
        return main_content_html(tree.html or "")
    return tree.body.html or "" if tree.body is not None else ""


def page_links(html: str, base_url: str) -> list[str]:
    """Every web link on the whole page, absolute, in page order, each once."""
    links = (
        urljoin(base_url, str(node.attributes.get("href") or "").strip())
        for node in LexborHTMLParser(html).css("a[href]")
    )
    return list(dict.fromkeys(link for link in links if urlsplit(link).scheme in ("http", "https")))


def page_metadata(html: str, *, source_url: str, url: str, status: int, content_type: str) -> dict[str, Any]:
    """Firecrawl's metadata: named keys first, then every other <meta> tag under its own name."""
    tree = LexborHTMLParser(html)
    metadata: dict[str, Any] = {}
    raw: dict[str, list[str]] = {}
    for node in tree.css("meta[content]"):
        name = node.attributes.get("name") or node.attributes.get("property")
        if name:
            raw.setdefault(name.strip(), []).append(str(node.attributes.get("content") or ""))
    title = tree.css_first("title")
    if title is not None and normalise_space(title.text()):
        metadata["title"] = normalise_space(title.text())
    elif raw.get("og:title"):
        metadata["title"] = raw["og:title"][0]
    root = tree.css_first("html")
    language = root.attributes.get("lang") if root is not None else None
    if language:
        metadata["language"] = language
    for name, key in _NAMED_META.items():
        if raw.get(name):
            metadata[key] = raw[name][0]
    if raw.get("og:locale:alternate"):
        metadata["ogLocaleAlternate"] = raw["og:locale:alternate"]
    icon = next((n for n in tree.css("link[rel][href]") if "icon" in str(n.attributes.get("rel")).lower()), None)
    if icon is not None:
        metadata["favicon"] = urljoin(url, str(icon.attributes.get("href")).strip())
    for name, values in raw.items():
        if name not in _RESERVED and name not in metadata:
            metadata[name] = values[0] if len(values) == 1 else values
    metadata.update(
        sourceURL=source_url, url=url, statusCode=status, contentType=content_type, scrapeId=str(uuid.uuid4())
    )
    return metadata


def document_of(page: FetchedPage, request: ScrapeRequest) -> Document:
    """The formats the request asks for (metadata always comes along). Raises BadSelector."""
    formats = set(request.formats)
    content_type = page.headers.get("content-type") or page.content_type
    document = Document(
        metadata=page_metadata(
            page.text, source_url=request.url, url=page.final_url, status=page.status, content_type=content_type
        )
    )
    if formats & {"markdown", "html"}:
        fragment = content_html(page.text, page.final_url, request)
        if "markdown" in formats:
            document.markdown = markdown_of(fragment)
        if "html" in formats:
            document.html = fragment
    if "rawHtml" in formats:
        document.raw_html = page.text
    if "links" in formats:
        document.links = page_links(page.text, page.final_url)
    return document


def failed_document(request: ScrapeRequest, *, status: int, message: str) -> Document:
    """The site answered with an error status: reported in the metadata, as Firecrawl does, with empty content."""
    formats = set(request.formats)
    metadata = {"sourceURL": request.url, "url": request.url, "statusCode": status, "error": message}
    return Document(
        metadata=metadata,
        markdown="" if "markdown" in formats else None,
        html="" if "html" in formats else None,
        raw_html="" if "rawHtml" in formats else None,
        links=[] if "links" in formats else None,
    )
