"""Which fetcher a bot's pages go through: ScrapeFlow's own HTTP engine, or Firecrawl when the bot asks for it
and the server has Firecrawl configured (FIRECRAWL_API_KEY or FIRECRAWL_API_URL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapeflow.bots.fetch_settings import FetchSettings
from scrapeflow.config import Settings
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.firecrawl import FirecrawlFetcher, FirecrawlOptions
from scrapeflow.engine.politeness import DomainLimiter, PolitenessOptions
from scrapeflow.engine.ssrf import FetchAllowlist

# FetchOptions fields that mean the same for Firecrawl; the rest (proxies, robots.txt, politeness, HTTP/2)
# are Firecrawl's own business.
_SHARED_OPTIONS = ("timeout", "max_bytes", "retries", "backoff_base", "backoff_max", "allowlist")


def politeness_options(settings: Settings) -> PolitenessOptions:
    """The per-site limits from the server's settings (DOMAIN_MAX_CONCURRENCY, DOMAIN_MIN_DELAY_SECONDS)."""
    return PolitenessOptions(
        max_concurrency=settings.domain_max_concurrency, min_delay=settings.domain_min_delay_seconds
    )


def fetch_options(settings: Settings, **overrides: Any) -> FetchOptions:
    values: dict[str, Any] = {
        "user_agent": settings.fetch_user_agent,
        "timeout": settings.fetch_timeout_seconds,
        "max_bytes": settings.fetch_max_bytes,
        "allowlist": FetchAllowlist.parse(settings.fetch_allowlist),
        "politeness": politeness_options(settings),
    }
    values.update(overrides)
    return FetchOptions(**values)


def firecrawl_configured(settings: Settings) -> bool:
    return bool(settings.firecrawl_api_key or settings.firecrawl_api_url)


def firecrawl_options(settings: Settings, **options: Any) -> FirecrawlOptions:
    """FirecrawlOptions from the server's settings and the same keyword arguments FetchOptions takes."""
    headers: dict[str, str] = dict(options.get("headers") or {})
    cookies: Mapping[str, str] = options.get("cookies") or {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if options.get("user_agent"):  # only a bot's own user agent; Firecrawl picks a browser's otherwise
        headers["User-Agent"] = str(options["user_agent"])
    values: dict[str, Any] = {
        "api_key": settings.firecrawl_api_key,
        "api_url": settings.firecrawl_api_url,
        "timeout": settings.fetch_timeout_seconds,
        "max_bytes": settings.fetch_max_bytes,
        "allowlist": FetchAllowlist.parse(settings.fetch_allowlist),
        "headers": headers,
    }
    values.update({name: options[name] for name in _SHARED_OPTIONS if name in options})
    return FirecrawlOptions(**values)


def fetcher_for(
    settings: Settings, fetch: FetchSettings, *, limiter: DomainLimiter | None = None, **options: Any
) -> HttpFetcher | FirecrawlFetcher:
    """The fetcher for a bot with these fetch settings, to use as `async with fetcher_for(...) as fetcher:`.

    `options` are FetchOptions keyword arguments (the bot's `fetch_overrides` and the caller's own, e.g.
    fewer retries for a test run). `limiter` admits requests per site: the worker's shared one
    (`pipeline.politeness.domain_limiter`) keeps the limits across the fleet; without it, the fetcher keeps
    them within itself. Raises EngineError when the bot wants Firecrawl and the server has none.
    """
    if fetch.fetcher == "firecrawl":
        if not firecrawl_configured(settings):
            raise EngineError(
                ErrorCode.NAVIGATION_ERROR,
                "This bot fetches its pages through Firecrawl, but this server has no Firecrawl configured. "
                "Switch the bot's fetcher to ScrapeFlow's engine, or ask the administrator to set "
                "FIRECRAWL_API_KEY or FIRECRAWL_API_URL.",
            )
        return FirecrawlFetcher(firecrawl_options(settings, **options))
    return HttpFetcher(fetch_options(settings, **options), limiter=limiter)
