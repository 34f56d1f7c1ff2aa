"""Fetching through Firecrawl (its cloud, a self-hosted Firecrawl, or any server that speaks its API, such as
ScrapeFlow's own): the Fetcher protocol of HttpFetcher over Firecrawl's scrape, and Firecrawl's map for discovery.

Firecrawl does the network work, so robots.txt, proxies and politeness are its business; the SSRF guard still
vets every URL before it is handed over (and the URL Firecrawl ended on), because a self-hosted Firecrawl sits
on our side of the firewall.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import Any, Literal, Self

import httpx

from scrapeflow.engine.decoding import media_type
from scrapeflow.engine.discovery import Discovered, wanted
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.exchange import status_error
from scrapeflow.engine.fetch import FetchedPage
from scrapeflow.engine.retry import backoff_delay, parse_retry_after
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard, Target
from scrapeflow.engine.urls import matches, normalise
from scrapeflow.workflow.nodes import MapData

FIRECRAWL_CLOUD = "https://api.firecrawl.dev"
# Firecrawl's own work (a browser, retries on its side) comes on top of the page's time.
_SERVICE_MARGIN = 15.0
SitemapMode = Literal["include", "only", "skip"]
MAP_LIMIT = 5000  # Firecrawl's default limit for map


@cache
def _sdk() -> tuple[Any, type[Exception]]:
    """firecrawl-py's async client and its error type, imported on first use: the SDK takes over a second
    to import, which a server whose bots never use Firecrawl should not pay at start-up."""
    from firecrawl.v2.client_async import AsyncFirecrawlClient  # type: ignore[import-untyped]
    from firecrawl.v2.utils.error_handler import FirecrawlError  # type: ignore[import-untyped]

    return AsyncFirecrawlClient, FirecrawlError


@dataclass(frozen=True, slots=True)
class FirecrawlOptions:
    api_key: str = ""
    api_url: str = ""
    """Empty: Firecrawl's cloud."""
    timeout: float = 30.0
    """Seconds Firecrawl may spend on one page."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent to the site by Firecrawl (cookies go here as a Cookie header)."""
    max_bytes: int = 10 * 1024 * 1024
    retries: int = 2
    """Further attempts after a transient failure (Firecrawl unreachable or busy, the site slow)."""
    backoff_base: float = 2.0
    backoff_max: float = 30.0
    allowlist: FetchAllowlist = field(default_factory=FetchAllowlist)


class FirecrawlFetcher:
    """Fetches pages through Firecrawl for one run: `async with FirecrawlFetcher(options) as fetcher:`."""

    def __init__(
        self,
        options: FirecrawlOptions | None = None,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.options = options or FirecrawlOptions()
        self.guard = SsrfGuard(self.options.allowlist)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._sleep = sleep
        self._client: Any = None

    @property
    def api_url(self) -> str:
        return (self.options.api_url or FIRECRAWL_CLOUD).rstrip("/")

    async def __aenter__(self) -> Self:
        client_type, _ = _sdk()
        self._client = client_type(
            api_key=self.options.api_key,
            api_url=self.api_url,
            timeout=self.options.timeout + _SERVICE_MARGIN,
            max_retries=1,  # retries are ours, with backoff and jitter
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.async_http_client.close()
            self._client = None

    async def sitemaps_of(self, url: str) -> list[str]:
        """Firecrawl reads sitemaps itself (see `map_urls`); discovery then tries /sitemap.xml through `fetch`."""
        return []

    async def fetch(self, url: str, *, allow_binary: bool = False) -> FetchedPage:
        """The page as Firecrawl saw it (its raw HTML). `allow_binary` is accepted for the protocol's sake:
        Firecrawl answers with text, so gzipped sitemaps cannot be read this way.

        Raises EngineError with the code that explains the failure, like HttpFetcher.
        """
        started = time.monotonic()
        target = await self._vetted(url)
        options = self.options
        scrape_options: dict[str, Any] = {
            "formats": ["rawHtml"],
            "only_main_content": False,
            "timeout": int(options.timeout * 1000),
            "max_age": 0,  # a bot wants the page as it is now, not Firecrawl's cached copy
        }
        if options.headers:
            scrape_options["headers"] = dict(options.headers)
        document, attempts = await self._call(target, lambda client: client.scrape(target.url, **scrape_options))
        metadata = _metadata(document)
        status = _status(metadata.get("status_code"))
        final_url = str(metadata.get("url") or metadata.get("source_url") or target.url)
        if final_url != target.url:
            await self._vetted(final_url, asked=target.url)
        if status >= 400:
            raise status_error(status, target, None)
        text = str(getattr(document, "raw_html", None) or getattr(document, "html", None) or "")
        content = text.encode("utf-8")
        if len(content) > options.max_bytes:
            raise EngineError(
                ErrorCode.CONTENT_TOO_LARGE,
                f"{target.url} is larger than the {options.max_bytes / (1024 * 1024):g} MB a page may have. "
                "Point the bot at a smaller page.",
                url=target.url,
                status=status,
            )
        content_type = str(metadata.get("content_type") or "text/html; charset=utf-8")
        return FetchedPage(
            url=url,
            final_url=final_url,
            status=status,
            headers=httpx.Headers({"content-type": content_type}),
            content=content,
            text=text,
            encoding="utf-8",
            content_type=media_type(content_type) or "text/html",
            elapsed=time.monotonic() - started,
            redirects=[target.url] if final_url != target.url else [],
            http_version="",
            attempts=attempts,
        )

    async def map_urls(
        self,
        url: str,
        *,
        limit: int = 100,
        search: str | None = None,
        include_subdomains: bool = True,
        sitemap: SitemapMode = "include",
    ) -> list[str]:
        """The site's URLs as Firecrawl's map finds them (sitemaps and links), normalised and deduplicated."""
        target = await self._vetted(url)
        links, _ = await self._call(
            target,
            lambda client: client.map(
                target.url,
                limit=limit,
                search=search or None,
                include_subdomains=include_subdomains,
                sitemap=sitemap,
                timeout=int(self.options.timeout * 1000),
            ),
        )
        found = (normalise(str(getattr(link, "url", link))) for link in getattr(links, "links", None) or [])
        return list(dict.fromkeys(link for link in found if link))[:limit]

    async def discover(self, starts: list[str], options: MapData) -> list[Discovered]:
        """The `map` node through Firecrawl's map (sitemaps and links, found by Firecrawl) rather than our crawl:
        start pages first, then what `map_urls` found, kept by the node's site and glob rules."""
        found: dict[str, Discovered] = {}
        for raw in starts:
            url = normalise(raw)
            if url and matches(url, options.include, options.exclude):
                found.setdefault(url, Discovered(url, 0, "start"))
        # Firecrawl's limit counts before our globs filter: ask for more when they may drop some.
        asked = min(MAP_LIMIT, options.limit * 10) if options.include or options.exclude else options.limit
        for start in starts:
            urls = await self.map_urls(
                start,
                limit=asked,
                include_subdomains=not options.same_site,
                sitemap="include" if options.sitemap else "skip",
            )
            for url in urls:
                if url not in found and wanted(url, start, options):
                    found[url] = Discovered(url, 1, "firecrawl")
        return list(found.values())[: options.limit]

    async def _vetted(self, url: str, *, asked: str | None = None) -> Target:
        try:
            target = self.guard.check_url(url)
            await self.guard.check_resolved(target)
        except EngineError as exc:
            exc.url = asked or url
            if asked is not None:
                exc.detail = f"Firecrawl was redirected from {asked} to {url}"
            raise
        return target

    async def _call(self, target: Target, request: Callable[[Any], Awaitable[Any]]) -> tuple[Any, int]:
        """One Firecrawl request with retries for transient failures; returns (answer, attempts)."""
        if self._client is None:
            raise RuntimeError("FirecrawlFetcher must be used as an async context manager")
        options = self.options
        failures = (_sdk()[1], httpx.HTTPError, TimeoutError)
        for attempt in range(options.retries + 1):
            try:
                async with asyncio.timeout(options.timeout + _SERVICE_MARGIN):
                    return await request(self._client), attempt + 1
            except failures as exc:
                error = engine_error(exc, target, self.api_url)
            if not error.retryable or attempt == options.retries:
                raise error
            delay = backoff_delay(attempt, base=options.backoff_base, maximum=options.backoff_max, rng=self._rng)
            await self._sleep(max(delay, error.retry_after or 0.0))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _metadata(document: Any) -> dict[str, Any]:
    metadata = getattr(document, "metadata", None)
    if metadata is None:
        return {}
    if isinstance(metadata, dict):
        return metadata
    return dict(metadata.model_dump())


def _status(value: Any) -> int:
    try:
        return int(value) if value is not None else 200
    except (TypeError, ValueError):
        return 200


def _answer(exc: Exception) -> tuple[str, str | None]:
    """(the server's own error sentence, its code) from a Firecrawl error response."""
    code = getattr(exc, "code", None)
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    message = body.get("error") if isinstance(body, dict) else None
    return (message if isinstance(message, str) and message else str(exc)), (str(code) if code else None)


def engine_error(exc: Exception, target: Target, api_url: str) -> EngineError:
    """A Firecrawl failure as the engine reports it. A ScrapeFlow server answers with our own codes, which
    are kept; Firecrawl's statuses map onto the nearest code."""
    url = target.url
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return EngineError(
            ErrorCode.TIMEOUT,
            f"Firecrawl took too long to fetch {url}. Try again later, or raise the bot's timeout.",
            url=url,
            retryable=True,
            detail=f"{type(exc).__name__}: {exc}",
        )
    if isinstance(exc, httpx.HTTPError):
        return EngineError(
            ErrorCode.NAVIGATION_ERROR,
            f"Firecrawl ({api_url}) could not be reached, so {url} was not fetched. Try again later.",
            url=url,
            retryable=True,
            detail=f"{type(exc).__name__}: {exc}",
        )
    status = getattr(exc, "status_code", None)  # a FirecrawlError from here on
    message, code = _answer(exc)
    detail = f"Firecrawl answered {status}: {message}"
    response = getattr(exc, "response", None)
    retry_after = parse_retry_after(response.headers.get("retry-after")) if response is not None else None
    if code is not None and code in ErrorCode.__members__:
        retryable = status is not None and (status in (408, 429) or status >= 500)
        return EngineError(ErrorCode(code), message, url=url, retryable=retryable, retry_after=retry_after)
    if status == 401:
        return EngineError(
            ErrorCode.NAVIGATION_ERROR,
            f"Firecrawl refused ScrapeFlow's API key, so {url} was not fetched. "
            "The administrator should check FIRECRAWL_API_KEY.",
            url=url,
            detail=detail,
        )
    if status == 402:
        return EngineError(
            ErrorCode.QUOTA_EXCEEDED,
            "The Firecrawl account has no credits left. The administrator should top it up.",
            url=url,
            detail=detail,
        )
    if status == 403:
        return EngineError(
            ErrorCode.BLOCKED_BY_POLICY, f"Firecrawl does not fetch {url}: {message}", url=url, detail=detail
        )
    if status == 408:
        return EngineError(
            ErrorCode.TIMEOUT,
            f"Firecrawl took too long to fetch {url}. Try again later, or raise the bot's timeout.",
            url=url,
            retryable=True,
            detail=detail,
        )
    if status == 429:
        return EngineError(
            ErrorCode.RATE_LIMITED,
            "Firecrawl is limiting how fast ScrapeFlow may fetch. Run the bot again later or lower its speed.",
            url=url,
            retryable=True,
            retry_after=retry_after,
            detail=detail,
        )
    transient = status is None or status >= 500
    return EngineError(
        ErrorCode.NAVIGATION_ERROR,
        f"Firecrawl could not fetch {url}: {message}",
        url=url,
        retryable=transient and code not in ("SCRAPE_DNS_RESOLUTION_ERROR", "SCRAPE_SSL_ERROR"),
        detail=detail,
    )
