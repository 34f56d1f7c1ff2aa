"""Firecrawl's scrape and map, done by ScrapeFlow's own engine behind the SSRF guard and FETCH_ALLOWLIST."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from scrapeflow.bots.fetchers import fetch_options
from scrapeflow.config import Settings
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from scrapeflow.engine.urls import site_of
from scrapeflow.firecrawl_api.formats import BadSelector, document_of, failed_document
from scrapeflow.firecrawl_api.schemas import MAX_MAP_LIMIT, Document, MapOptions, ScrapeRequest
from scrapeflow.kit.errors import AppError
from scrapeflow.workflow.nodes import MapData

# Firecrawl's statuses for what went wrong; every other engine failure is a 500 with the engine's code.
_STATUS = {
    ErrorCode.INVALID_URL: 400,
    ErrorCode.BLOCKED_BY_POLICY: 403,
    ErrorCode.ROBOTS_DISALLOWED: 403,
    ErrorCode.TIMEOUT: 408,
}
# An API call waits for its answer, so a failing site gets one quick retry, not the pipeline's patience.
_QUICK_RETRIES = {"retries": 1, "backoff_base": 0.5, "backoff_max": 2.0}


class FetchFailed(AppError):
    """The engine could not fetch: carries the engine's code and sentence, with Firecrawl's status for it."""

    def __init__(self, error: EngineError) -> None:
        super().__init__(error.message, code=error.code.value, details={"url": error.url} if error.url else None)
        self.status_code = _STATUS.get(error.code, 500)


def _too_slow(url: str, seconds: float) -> FetchFailed:
    return FetchFailed(
        EngineError(
            ErrorCode.TIMEOUT,
            f"{url} took longer than the {seconds:g} s allowed. Raise `timeout`, or try again later.",
            url=url,
        )
    )


async def scrape(settings: Settings, request: ScrapeRequest) -> Document:
    """Fetch one page and render the formats asked for. A page that answers with an error status is not a
    failure of the call: its status and reason come back in the metadata, as Firecrawl reports them."""
    seconds = request.timeout / 1000
    options = fetch_options(settings, timeout=seconds, headers=request.headers, **_QUICK_RETRIES)
    try:
        async with asyncio.timeout(seconds), HttpFetcher(options) as fetcher:
            page = await fetcher.fetch(request.url)
    except TimeoutError:
        raise _too_slow(request.url, seconds) from None
    except EngineError as error:
        if error.status is not None and error.code in (ErrorCode.HTTP_ERROR, ErrorCode.RATE_LIMITED):
            return failed_document(request, status=error.status, message=error.message)
        raise FetchFailed(error) from None
    try:
        return document_of(page, request)
    except BadSelector as exc:
        raise AppError(str(exc), code="bad_selector") from None


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


async def map_site(settings: Settings, options: MapOptions) -> list[str]:
    """The site's URLs from its sitemaps and the start page's links, filtered as Firecrawl's map filters them."""
    guard = SsrfGuard(FetchAllowlist.parse(settings.fetch_allowlist))
    try:
        await guard.check_resolved(guard.check_url(options.url))
    except EngineError as error:
        error.url = options.url
        raise FetchFailed(error) from None
    sitemap_only = options.sitemap == "only"
    # Filters that drop URLs need discovery to look further than `limit`; dropping query strings only merges.
    filtered = bool(options.search) or not options.include_subdomains
    wanted = MapData(
        limit=MAX_MAP_LIMIT if filtered else options.limit,
        max_depth=0 if sitemap_only else 1,
        sitemap=options.sitemap != "skip",
        same_site=True,
    )
    fetching = fetch_options(settings, timeout=min(settings.fetch_timeout_seconds, options.timeout), **_QUICK_RETRIES)
    try:
        async with asyncio.timeout(options.timeout), HttpFetcher(fetching) as fetcher:
            found = await discover(fetcher, [options.url], wanted)
    except TimeoutError:
        raise _too_slow(options.url, options.timeout) from None
    urls = [item.url for item in found if not (sitemap_only and item.source == "start")]
    if not options.include_subdomains:
        urls = [url for url in urls if site_of(url) == site_of(options.url)]
    if options.ignore_query_parameters:
        urls = [_without_query(url) for url in urls]
    if options.search:
        words = options.search.lower().split()
        urls = [url for url in urls if all(word in url.lower() for word in words)]
    return list(dict.fromkeys(urls))[: options.limit]
