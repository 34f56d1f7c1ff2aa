"""Every request a run's browser contexts make passes `RequestRouter.handle` first: the SSRF guard refuses
private addresses (URL check plus vetted DNS resolution), the bot's blocked resource types and trackers are
skipped, and the bot's headers go to the rendered page's own host only. `PageWatch` keeps, per page, what
was refused and what the browser dismissed, and counts requests in flight (to tell when a page is quiet)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Dialog, Page, Request, Route
from playwright.async_api import Error as PlaywrightError

from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.ssrf import SsrfGuard

RESOURCE_TYPES = {"images": frozenset({"image"}), "fonts": frozenset({"font"}), "media": frozenset({"media"})}
# Analytics, ad and session-recording hosts (and their subdomains): blocking them speeds pages up and
# changes nothing a scraper reads.
TRACKER_DOMAINS = (
    "google-analytics.com",
    "analytics.google.com",
    "googletagmanager.com",
    "googlesyndication.com",
    "googleadservices.com",
    "doubleclick.net",
    "connect.facebook.net",
    "hotjar.com",
    "hotjar.io",
    "segment.io",
    "segment.com",
    "mixpanel.com",
    "amplitude.com",
    "fullstory.com",
    "clarity.ms",
    "scorecardresearch.com",
    "quantserve.com",
    "criteo.com",
    "criteo.net",
    "taboola.com",
    "outbrain.com",
    "adnxs.com",
    "ads-twitter.com",
    "analytics.tiktok.com",
    "snap.licdn.com",
    "bat.bing.com",
    "newrelic.com",
    "nr-data.net",
    "plausible.io",
)
_MAX_BLOCKED = 100
_VERDICT_SECONDS = 30.0


def is_tracker(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in TRACKER_DOMAINS)


@dataclass
class PageWatch:
    """What one render's requests and events did, for its RenderedPage and for waiting until it is quiet."""

    host: str
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    main_error: EngineError | None = None
    """Why the page's own (main-frame) navigation was refused, when it was."""
    crashed: bool = False
    requests: set[Request] = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)
    navigation_seconds: float = 0.0
    """How long the last navigation took to its load event (what politeness calls the site's latency)."""

    def note(self, text: str) -> None:
        if len(self.notes) < _MAX_BLOCKED:
            self.notes.append(text)

    async def quiet(self, idle: float, limit: float) -> bool:
        """Wait until no request has been in flight for `idle` seconds (at most `limit`); True if it got quiet.
        The idle time counts from the call at the earliest: a request the last action starts shows up late."""
        called = time.monotonic()
        deadline = called + limit
        while True:
            now = time.monotonic()
            if not self.requests and now - max(self.last_activity, called) >= idle:
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(0.05)


class PageSlot:
    """A page kept open in a context and reused by that context's next render (a new page costs a renderer
    start). Its events go to the current render's watch: dialogs dismissed, pop-ups closed, downloads noted."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.watch = PageWatch("")
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("crash", self._crashed)
        page.on("dialog", self._dialog)
        page.on("popup", self._popup)
        page.on("download", lambda download: self.watch.note(f"refused a download of {download.url[:200]}"))

    def _started(self, request: Request) -> None:
        self.watch.requests.add(request)
        self.watch.last_activity = time.monotonic()

    def _ended(self, request: Request) -> None:
        self.watch.requests.discard(request)
        self.watch.last_activity = time.monotonic()

    def _crashed(self, _: Page) -> None:
        self.watch.crashed = True

    async def _dialog(self, dialog: Dialog) -> None:
        self.watch.note(f"dismissed a dialog ({dialog.type}): {dialog.message[:200]}")
        with contextlib.suppress(PlaywrightError):
            await dialog.dismiss()

    async def _popup(self, popup: Page) -> None:
        self.watch.note(f"closed a pop-up window: {popup.url[:200]}")
        with contextlib.suppress(PlaywrightError):
            await popup.close()


class RequestRouter:
    """The route handler of one run's contexts; `watches` maps each page being rendered to its PageWatch."""

    def __init__(self, guard: SsrfGuard, block: frozenset[str], headers: Mapping[str, str]) -> None:
        self.guard = guard
        self.skipped_types = frozenset().union(*(RESOURCE_TYPES.get(name, frozenset()) for name in block))
        self.block_trackers = "trackers" in block
        self.headers = dict(headers)
        self.watches: dict[Page, PageWatch] = {}
        self._verdicts: dict[tuple[str, int], float] = {}  # host, port -> vetted until (monotonic)

    async def handle(self, route: Route, request: Request) -> None:
        url = request.url
        watch = self._watch_of(request)
        try:
            target = self.guard.check_url(url)
            key = (target.host, target.port)
            if self._verdicts.get(key, 0.0) < time.monotonic():
                await self.guard.vetted_addresses(target.host, target.port)
                self._verdicts[key] = time.monotonic() + _VERDICT_SECONDS
        except EngineError as exc:
            if watch is not None:
                self._record(watch, url, "refused")
                if request.is_navigation_request() and request.frame.parent_frame is None:
                    watch.main_error = exc
            await _abort(route)
            return
        if request.resource_type in self.skipped_types or (self.block_trackers and is_tracker(target.host)):
            if watch is not None:
                self._record(watch, url, "skipped")
            await _abort(route)
            return
        try:
            if self.headers and watch is not None and target.host == watch.host:
                await route.continue_(headers={**request.headers, **self.headers})
            else:
                await route.continue_()
        except PlaywrightError:
            pass  # the page closed while the request waited: nothing left to continue

    def _watch_of(self, request: Request) -> PageWatch | None:
        try:
            return self.watches.get(request.frame.page)
        except PlaywrightError:  # a service worker's request has no frame
            return None

    @staticmethod
    def _record(watch: PageWatch, url: str, how: str) -> None:
        if len(watch.blocked) < _MAX_BLOCKED:
            watch.blocked.append(f"{how}: {url[:300]}")


async def _abort(route: Route) -> None:
    with contextlib.suppress(PlaywrightError):  # the page closed while the request waited
        await route.abort("blockedbyclient")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
