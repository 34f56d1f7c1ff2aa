"""One run's use of the browser pool: render a page, run its steps, capture what the bot asks for.

The run's contexts share one storage state (cookies and local storage). After a page that clicked, typed or
navigated, the state is saved and contexts made later start from it; so a login done on the run's first page
holds on every page opened after it, and runs once per run rather than once per page.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from scrapeflow.engine.browser.actions import LOAD_IDLE, SETTLE_LIMIT, Clock
from scrapeflow.engine.browser.failures import (
    BrowserCrashed,
    crashed,
    is_crash,
    navigation_failure,
    page_timeout,
    response_failure,
)
from scrapeflow.engine.browser.options import Artifact, RenderedPage, SessionOptions
from scrapeflow.engine.browser.page_steps import PageSteps
from scrapeflow.engine.browser.proxy import GuardProxy
from scrapeflow.engine.browser.routing import PageSlot, PageWatch, RequestRouter, host_of
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.steps import StepRecorder
from scrapeflow.workflow.plan import Step

if TYPE_CHECKING:
    from scrapeflow.engine.browser.pool import BrowserPool, Lease


class BrowserSession:
    """Made by `BrowserPool.session(options)`; use as `async with pool.session(options) as session:` so the
    run's contexts close when it ends."""

    def __init__(self, pool: BrowserPool, options: SessionOptions) -> None:
        self.pool = pool
        self.options = options
        self.key = options.storage_key
        self.version = 0
        self.router = RequestRouter(pool.guard, frozenset(options.block), options.headers)
        self._storage: dict[str, Any] | None = None
        # The bot's own proxies: a guard proxy of the run's own that leaves through them (see proxy.py).
        self.proxy = GuardProxy(pool.guard, upstreams=options.proxies) if options.proxies else None
        self._proxy_url: str | None = None
        self._proxy_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.pool.forget(self.key)
        if self.proxy is not None:
            await self.proxy.close()

    @property
    def page_timeout(self) -> float:
        return self.options.page_timeout or self.pool.options.page_timeout

    async def new_context(self, browser: Browser, har_path: str | None) -> BrowserContext:
        width, height = self.pool.options.viewport
        extra: dict[str, Any] = {}
        if har_path is not None:
            extra = {"record_har_path": har_path, "record_har_content": "omit", "record_har_mode": "full"}
        if self.options.user_agent:
            extra["user_agent"] = self.options.user_agent
        if self.proxy is not None:
            async with self._proxy_lock:
                if self._proxy_url is None:
                    self._proxy_url = await self.proxy.start()
            extra["proxy"] = {"server": self._proxy_url}
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            accept_downloads=False,
            service_workers="block",  # their requests would bypass route interception
            storage_state=self._storage,  # type: ignore[arg-type]
            **extra,
        )
        await context.route("**/*", self.router.handle)
        return context

    async def render(self, url: str, steps: tuple[Step, ...], start: int = 0, page_number: int = 1) -> RenderedPage:
        """Open `url` and run steps[start:] on it within the page time limit; a crash is retried once in a
        fresh context (or a fresh browser). Never raises for the site's failures: see `RenderedPage.error`."""
        for attempt in (1, 2):
            har_dir = Path(tempfile.mkdtemp(prefix="scrapeflow-har-")) if "har" in self.options.capture else None
            try:
                try:
                    lease = await self.pool.acquire(self, har_path=str(har_dir / "page.har") if har_dir else None)
                except PlaywrightError:  # the browser died as the context was made: the next acquire relaunches
                    if attempt == 2:
                        return RenderedPage(url, error=crashed(url), attempts=attempt)
                    self.pool.stats.retries += 1
                    continue
                try:
                    result = await self._render(lease, url, steps, start, page_number)
                except BrowserCrashed:
                    lease.broken = True
                    if attempt == 2:
                        return RenderedPage(url, error=crashed(url), attempts=attempt)
                    self.pool.stats.retries += 1
                    continue
                finally:
                    await self.pool.release(lease)
                result.attempts = attempt
                if har_dir is not None and (har_dir / "page.har").exists():
                    data = (har_dir / "page.har").read_bytes()
                    result.artifacts.append(Artifact("har", "application/json", data))
                return result
            except EngineError as exc:  # the browser could not start
                return RenderedPage(url, error=exc, attempts=attempt)
            finally:
                if har_dir is not None:
                    shutil.rmtree(har_dir, ignore_errors=True)
        raise AssertionError("unreachable: the second attempt returns")

    async def _render(
        self, lease: Lease, url: str, steps: tuple[Step, ...], start: int, page_number: int
    ) -> RenderedPage:
        result = RenderedPage(url)
        recorder = StepRecorder()
        clock = Clock(self.page_timeout)
        watch = PageWatch(host_of(url))
        slot: PageSlot | None = None
        runner: PageSteps | None = None
        keep = False
        try:
            async with asyncio.timeout(clock.seconds):
                slot = lease.slot or PageSlot(await lease.context.new_page())
                lease.slot, slot.watch = None, watch
                page = slot.page
                self.router.watches[page] = watch
                await self._add_cookies(lease, url)
                result.status = await self._goto(page, url, clock, watch)
                result.navigation_seconds = watch.navigation_seconds

                async def navigate(target: str) -> None:
                    result.status = await self._goto(page, target, clock, watch)

                runner = PageSteps(
                    page,
                    steps,
                    page_number,
                    clock=clock,
                    watch=watch,
                    recorder=recorder,
                    navigate=navigate,
                    secrets=self.options.secrets,
                )
                await runner.run(start)
                if "screenshot" in self.options.capture:
                    image = await page.screenshot(type="png", timeout=clock.ms())
                    result.artifacts.append(Artifact("page_screenshot", "image/png", image))
                result.html = await runner.html()
                result.final_url = page.url
                if runner.interacted:
                    await self._save_storage(lease)
                keep = lease.har_path is None
        except TimeoutError:
            result.error = page_timeout(url, clock.seconds)
        except EngineError as exc:
            result.error = exc
        except PlaywrightTimeoutError:
            result.error = page_timeout(url, clock.seconds)
        except PlaywrightError as exc:
            if is_crash(exc, watch, lease.browser.is_connected()):
                raise BrowserCrashed(exc.message) from None
            result.error = navigation_failure(exc, url, watch)
        finally:
            if slot is not None:
                self.router.watches.pop(slot.page, None)
                result.final_url = result.final_url or _shown_url(slot.page)
                slot.watch = PageWatch("")
                if keep:
                    lease.slot = slot  # the next render navigates it away (parking it on about:blank cost more)
                else:
                    await _close(slot)
        if result.error is not None and (watch.crashed or not lease.browser.is_connected()):
            raise BrowserCrashed(result.error.message)
        if runner is not None:
            result.artifacts[:0] = runner.artifacts
        result.work = recorder.work()
        result.blocked, result.notes = watch.blocked, watch.notes
        lease.pages += 1
        return result

    async def _goto(self, page: Page, url: str, clock: Clock, watch: PageWatch) -> int | None:
        """Navigate and wait for the load event; errors for refused addresses, HTTP errors and downloads."""
        self.pool.guard.check_url(url)
        watch.main_error = None
        began = time.monotonic()
        try:
            response = await page.goto(url, wait_until="load", timeout=clock.ms())
            watch.navigation_seconds = time.monotonic() - began
        except PlaywrightTimeoutError:
            raise page_timeout(url, clock.seconds) from None
        except PlaywrightError as exc:
            if is_crash(exc, watch, page.context.browser is not None and page.context.browser.is_connected()):
                raise BrowserCrashed(exc.message) from None
            raise navigation_failure(exc, url, watch) from None
        if response is None:
            return None
        error = response_failure(response.status, page.url, response.headers, self.pool.guard)
        if error is not None:
            raise error
        # Scripts often fetch the content after the load event: give them until the network goes quiet.
        await watch.quiet(LOAD_IDLE, min(SETTLE_LIMIT, clock.left()))
        return response.status

    async def _add_cookies(self, lease: Lease, url: str) -> None:
        """The bot's cookies, for the host of each page rendered (once per context)."""
        host = host_of(url)
        if not self.options.cookies or host in lease.cookie_hosts:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        await lease.context.add_cookies(
            [{"name": name, "value": value, "url": origin} for name, value in self.options.cookies.items()]
        )
        lease.cookie_hosts.add(host)

    async def _save_storage(self, lease: Lease) -> None:
        """Keep this context's cookies and local storage as the run's, unless another page saved first
        (its state is newer than the one this context started from)."""
        if lease.version != self.version:
            return
        self._storage = dict(await lease.context.storage_state())
        self.version += 1
        lease.version = self.version


def _shown_url(page: Page) -> str | None:
    return None if page.url in ("", "about:blank") or page.url.startswith("chrome-error:") else page.url


async def _close(slot: PageSlot) -> None:
    with contextlib.suppress(PlaywrightError, TimeoutError):
        async with asyncio.timeout(5):
            await slot.page.close()
