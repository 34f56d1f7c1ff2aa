"""The `map` node: discover a site's pages from its sitemaps and by following links, breadth first."""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from dataclasses import dataclass
from typing import Protocol
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import fromstring

from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.fetch import FetchedPage
from scrapeflow.engine.urls import matches, normalise, same_site
from scrapeflow.workflow.nodes import MapData

MAX_SITEMAPS = 200
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed


class Fetcher(Protocol):
    async def fetch(self, url: str, *, allow_binary: bool = False) -> FetchedPage: ...

    async def sitemaps_of(self, url: str) -> list[str]: ...


@dataclass(frozen=True)
class Discovered:
    url: str
    depth: int
    source: str  # "start", "sitemap", "link", or "firecrawl" (Firecrawl's map)


def _sitemap_text(page: FetchedPage) -> str:
    """Sitemaps may be gzipped (`.xml.gz`); the uncompressed size is capped against zip bombs."""
    if page.content[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        return inflater.decompress(page.content, MAX_SITEMAP_BYTES).decode("utf-8", "replace")
    return page.text or page.content.decode("utf-8", "replace")


def parse_sitemap(xml: str) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap or sitemap index; unsafe XML (entities) is refused."""
    try:
        root = fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except (ParseError, ValueError):
        return [], []
    pages: list[str] = []
    children: list[str] = []
    is_index = root.tag.endswith("sitemapindex")
    for element in root.iter():
        if element.tag.endswith("loc") and element.text:
            (children if is_index else pages).append(element.text.strip())
    return pages, children


async def _from_sitemaps(fetcher: Fetcher, start: str, options: MapData, found: dict[str, Discovered]) -> None:
    candidates = deque(await fetcher.sitemaps_of(start) or [normalise("/sitemap.xml", start) or start])
    visited: set[str] = set()
    while candidates and len(visited) < MAX_SITEMAPS and len(found) < options.limit:
        sitemap = candidates.popleft()
        if sitemap in visited:
            continue
        visited.add(sitemap)
        try:
            page = await fetcher.fetch(sitemap, allow_binary=True)
        except EngineError:
            continue
        pages, children = parse_sitemap(_sitemap_text(page))
        candidates.extend(children)
        for raw in pages:
            url = normalise(raw)
            if url and url not in found and wanted(url, start, options):
                found[url] = Discovered(url, 1, "sitemap")
                if len(found) >= options.limit:
                    return


def wanted(url: str, start: str, options: MapData) -> bool:
    """Whether a discovered URL is kept: on the start's site (if asked) and through the include/exclude globs."""
    return (not options.same_site or same_site(url, start)) and matches(url, options.include, options.exclude)


async def discover(fetcher: Fetcher, starts: list[str], options: MapData, *, concurrency: int = 8) -> list[Discovered]:
    """URLs in discovery order (start pages first), normalised and deduplicated, up to `options.limit`.

    Links are followed through every same-site page within `max_depth`, but only URLs that pass
    the include/exclude globs are returned, so a crawl can walk list pages to reach detail pages.
    """
    found: dict[str, Discovered] = {}
    for raw in starts:
        url = normalise(raw)
        if url and matches(url, options.include, options.exclude):
            found.setdefault(url, Discovered(url, 0, "start"))
    if options.sitemap:
        for start in starts:
            await _from_sitemaps(fetcher, start, options, found)
    frontier = [normalise(raw) for raw in starts]
    crawled: set[str] = set()
    semaphore = asyncio.Semaphore(concurrency)

    async def links_of(url: str) -> list[str]:
        async with semaphore:
            try:
                page = await fetcher.fetch(url)
            except EngineError:
                return []
        base = page.final_url
        return [link for href in PageDocument(page.text, base).links() if (link := normalise(href, base))]

    for depth in range(1, options.max_depth + 1):
        level = [url for url in frontier if url and url not in crawled]
        if not level or len(found) >= options.limit:
            break
        crawled.update(level)
        next_frontier: list[str] = []
        for links in await asyncio.gather(*(links_of(url) for url in level)):
            for link in links:
                if options.same_site and not any(same_site(link, start) for start in starts):
                    continue
                next_frontier.append(link)
                if link not in found and matches(link, options.include, options.exclude):
                    found[link] = Discovered(link, depth, "link")
        frontier = list(dict.fromkeys(next_frontier))
    return list(found.values())[: options.limit]
