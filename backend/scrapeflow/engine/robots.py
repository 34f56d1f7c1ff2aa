"""robots.txt: fetched once per origin through the fetcher's guarded client, cached, and consulted
before every request; its Crawl-delay goes to the domain limiter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protego import Protego

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.politeness import DomainLimiter
from scrapeflow.engine.ssrf import Target

RobotsDownload = Callable[[str], Awaitable[str | None]]
"""Downloads `<origin>/robots.txt`: its text, "" when the site has none (4xx), None when it could not be
read (5xx, network error)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    rules: Protego | None
    expires: float


class RobotsCache:
    """A site without a readable robots.txt is treated as allowing everything (as Scrapy and most crawlers
    do); when the failure may be passing (5xx, timeout) that verdict is cached briefly so it is asked again."""

    def __init__(
        self,
        download: RobotsDownload,
        user_agent: str,
        *,
        limiter: DomainLimiter | None = None,
        ttl: float = 3600.0,
        error_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._download = download
        self.user_agent = user_agent
        self._limiter = limiter
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Task[Protego | None]] = {}

    async def rules(self, origin: str, host: str) -> Protego | None:
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > self._clock():
            return entry.rules
        task = self._loading.get(origin)
        if task is None:
            task = asyncio.create_task(self._load(origin, host))
            self._loading[origin] = task
            task.add_done_callback(lambda _: self._loading.pop(origin, None))
        # Shielded: one waiter being cancelled must not cancel the download the others wait for.
        return await asyncio.shield(task)

    async def _load(self, origin: str, host: str) -> Protego | None:
        try:
            text = await self._download(origin)
        except Exception:  # an unreadable robots.txt must not fail the page itself
            text = None
        rules = Protego.parse(text) if text else None
        self._entries[origin] = _Entry(rules, self._clock() + (self._error_ttl if text is None else self._ttl))
        if rules is not None and self._limiter is not None:
            delay = rules.crawl_delay(self.user_agent)
            if delay:
                self._limiter.set_crawl_delay(host, delay)
        return rules

    async def check(self, target: Target) -> None:
        """Raises ROBOTS_DISALLOWED when the site's robots.txt forbids `target` to our user agent."""
        rules = await self.rules(target.origin, target.host)
        if rules is not None and not rules.can_fetch(target.url, self.user_agent):
            raise EngineError(
                ErrorCode.ROBOTS_DISALLOWED,
                f"The site's robots.txt asks crawlers not to visit {target.url}, so ScrapeFlow skipped it. "
                "Turn off “Respect robots.txt” in the bot's settings if you have the site owner's permission.",
                url=target.url,
            )

    async def sitemaps(self, target: Target) -> list[str]:
        """Sitemap URLs the site's robots.txt lists (for URL discovery)."""
        rules = await self.rules(target.origin, target.host)
        return list(rules.sitemaps) if rules is not None else []
