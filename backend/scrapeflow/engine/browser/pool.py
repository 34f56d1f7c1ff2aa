"""The browser pool: one Chromium per worker process (launched on first use, relaunched if it dies) and at most
`contexts` browser contexts, kept open and reused by later pages of the same run. All traffic goes through
the guard proxy."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from scrapeflow.engine.browser.options import CHROMIUM_ARGS, BrowserOptions, SessionOptions
from scrapeflow.engine.browser.proxy import GuardProxy
from scrapeflow.engine.browser.routing import PageSlot
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.ssrf import SsrfGuard

if TYPE_CHECKING:
    from scrapeflow.engine.browser.session import BrowserSession


class ContextOwner(Protocol):
    """A run using the pool (a BrowserSession): contexts are kept per `key`, and one whose `version` is
    behind the owner's (the run's storage state changed since, e.g. it logged in) is made afresh."""

    key: str
    version: int

    async def new_context(self, browser: Browser, har_path: str | None) -> BrowserContext: ...


@dataclass(eq=False)
class Lease:
    """A context lent to one page at a time."""

    context: BrowserContext
    browser: Browser
    key: str
    version: int
    har_path: str | None = None
    """Set for a context made for one page only, to record its HAR (written when the context closes)."""
    broken: bool = False
    cookie_hosts: set[str] = field(default_factory=set)
    slot: PageSlot | None = None
    """The context's open page, reused by its next render."""
    pages: int = 0


@dataclass
class PoolStats:
    launches: int = 0
    crashes: int = 0
    """Browsers found dead and replaced."""
    contexts_created: int = 0
    contexts_reused: int = 0
    contexts_discarded: int = 0
    retries: int = 0
    """Pages rendered again after a crash."""


class BrowserPool:
    """Use as `async with BrowserPool(options) as pool:`; `pool.session(...)` gives each run its own
    cookies and local storage. Pages rendered at once never exceed `options.contexts`."""

    def __init__(self, options: BrowserOptions | None = None, *, playwright: Playwright | None = None) -> None:
        """`playwright`: a running Playwright driver to share (the caller stops it); else the pool starts its own."""
        self.options = options = options or BrowserOptions()
        self.guard = SsrfGuard(options.allowlist)
        self.proxy = GuardProxy(self.guard)
        self.stats = PoolStats()
        self._slots = asyncio.Semaphore(max(1, options.contexts))
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = playwright
        self._own_playwright = playwright is None
        self._proxy_url: str | None = None
        self._browser: Browser | None = None
        self._idle: list[Lease] = []  # oldest first
        self._open = 0  # contexts open or being opened: idle + lent
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def session(self, options: SessionOptions | None = None) -> BrowserSession:
        from scrapeflow.engine.browser.session import BrowserSession

        return BrowserSession(self, options or SessionOptions())

    @property
    def open_contexts(self) -> int:
        return self._open

    async def start(self) -> None:
        """Launch the browser now rather than on the first page."""
        await self._current_browser()

    async def _current_browser(self) -> Browser:
        async with self._lock:
            if self._closed:
                raise RuntimeError("the browser pool is closed")
            browser = self._browser
            if browser is not None and browser.is_connected():
                return browser
            if browser is not None:
                self.stats.crashes += 1
                # The dead browser took its contexts with it: nothing to close, only to forget.
                self._open -= len(self._idle)
                self.stats.contexts_discarded += len(self._idle)
                self._idle.clear()
                with contextlib.suppress(PlaywrightError):
                    await browser.close()
            if self._proxy_url is None:
                self._proxy_url = await self.proxy.start()
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._launch(self._playwright)
            self.stats.launches += 1
            return self._browser

    async def _launch(self, playwright: Playwright) -> Browser:
        options = self.options
        assert self._proxy_url is not None
        try:
            return await playwright.chromium.launch(
                executable_path=options.executable_path,
                headless=True,
                args=[*CHROMIUM_ARGS, *options.extra_args],
                # Playwright adds "<-loopback>": loopback goes through the guard proxy as well.
                proxy={"server": self._proxy_url},
                timeout=options.launch_timeout * 1000,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except PlaywrightError as exc:
            raise EngineError(
                ErrorCode.NAVIGATION_ERROR,
                "The browser could not start on this server. Ask the administrator to check CHROMIUM_PATH "
                f"({options.executable_path}) and that Chromium is installed.",
                detail=exc.message.splitlines()[0] if exc.message else None,
            ) from None

    async def acquire(self, owner: ContextOwner, *, har_path: str | None = None) -> Lease:
        """A context for `owner` (waits while `contexts` pages are rendering). With `har_path`, a context of
        its own that records the page's HAR and is closed on release."""
        await self._slots.acquire()
        try:
            return await self._lease(owner, har_path)
        except BaseException:
            self._slots.release()
            raise

    async def _lease(self, owner: ContextOwner, har_path: str | None) -> Lease:
        browser = await self._current_browser()
        if har_path is None:
            for lease in reversed(self._idle):
                if lease.key == owner.key:
                    self._idle.remove(lease)
                    if lease.version == owner.version and lease.browser is browser:
                        self.stats.contexts_reused += 1
                        return lease
                    await self._discard(lease)
                    break
        if self._open >= self.options.contexts and self._idle:
            await self._discard(self._idle.pop(0))  # the least recently used context of some run
        self._open += 1
        version = owner.version
        try:
            context = await owner.new_context(browser, har_path)
        except BaseException:
            self._open -= 1
            raise
        self.stats.contexts_created += 1
        return Lease(context, browser, owner.key, version, har_path)

    async def release(self, lease: Lease) -> None:
        try:
            healthy = not lease.broken and lease.browser is self._browser and lease.browser.is_connected()
            if healthy and lease.har_path is None and not self._closed:
                self._idle.append(lease)
            else:
                await self._discard(lease)
        finally:
            self._slots.release()

    async def forget(self, key: str) -> None:
        """Close the idle contexts of a run that has ended."""
        for lease in [lease for lease in self._idle if lease.key == key]:
            self._idle.remove(lease)
            await self._discard(lease)

    async def _discard(self, lease: Lease) -> None:
        self._open -= 1
        self.stats.contexts_discarded += 1
        with contextlib.suppress(PlaywrightError):
            async with asyncio.timeout(10):
                await lease.context.close()

    async def close(self) -> None:
        """Close every context, the browser, Playwright's driver and the proxy: no process is left behind."""
        async with self._lock:
            self._closed = True
            started = time.monotonic()
            idle, self._idle = self._idle, []
            for lease in idle:
                await self._discard(lease)
            try:
                if self._browser is not None:
                    with contextlib.suppress(PlaywrightError, TimeoutError):
                        async with asyncio.timeout(max(1.0, 15 - (time.monotonic() - started))):
                            await self._browser.close()
                    self._browser = None
            finally:
                if self._playwright is not None and self._own_playwright:
                    with contextlib.suppress(PlaywrightError):
                        await self._playwright.stop()
                self._playwright = None
                await self.proxy.close()
