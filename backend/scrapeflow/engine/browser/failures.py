"""Browser failures in the engine's words: Playwright's errors and Chromium's net:: codes become EngineErrors
with a message that says what to do; crashes are told apart so the pool can replace the browser and retry."""

from __future__ import annotations

from collections.abc import Mapping

from playwright.async_api import Error as PlaywrightError

from scrapeflow.engine.browser.proxy import BLOCKED_HEADER
from scrapeflow.engine.browser.routing import PageWatch
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.exchange import status_error
from scrapeflow.engine.ssrf import SsrfGuard

_CRASH_MARKERS = ("crash", "has been closed", "browser closed", "connection closed", "target closed")


class BrowserCrashed(Exception):
    """The page's renderer, context or whole browser died under it; the pool replaces what broke."""


def is_crash(exc: BaseException, watch: PageWatch | None, connected: bool) -> bool:
    if not connected or (watch is not None and watch.crashed):
        return True
    return isinstance(exc, PlaywrightError) and any(marker in exc.message.lower() for marker in _CRASH_MARKERS)


def selector_timeout(selector: str, seconds: float, node_id: str) -> EngineError:
    return EngineError(
        ErrorCode.SELECTOR_TIMEOUT,
        f"The element “{selector}” did not appear within {seconds:.3g} s (step {node_id}). Check the selector with "
        "the picker, or add a wait step for the content it depends on.",
    )


def page_timeout(url: str, seconds: float) -> EngineError:
    return EngineError(
        ErrorCode.TIMEOUT,
        f"The page {url} did not finish within {seconds:g} s in the browser. The site may be slow or keep "
        "loading forever; raise the bot's page time limit, or wait for a selector instead of the whole page.",
        url=url,
        retryable=True,
    )


def crashed(url: str) -> EngineError:
    return EngineError(
        ErrorCode.NAVIGATION_ERROR,
        f"The browser crashed twice while rendering {url}. The page may be too heavy to render; "
        "try again later, or block images and media in the bot's settings.",
        url=url,
        retryable=True,
    )


def response_failure(status: int, url: str, headers: Mapping[str, str], guard: SsrfGuard) -> EngineError | None:
    """The error for the page's own response, if it is one: refused by the guard proxy, or an HTTP error."""
    if headers.get(BLOCKED_HEADER.lower()):
        exc = EngineError(
            ErrorCode.BLOCKED_BY_POLICY,
            f"ScrapeFlow did not load {url} because it leads to a private or internal network address. "
            "If this site is on your own network, ask your administrator to add it to FETCH_ALLOWLIST.",
            url=url,
        )
        return exc
    if status >= 400:
        return status_error(status, guard.check_url(url), None)
    return None


def navigation_failure(exc: PlaywrightError, url: str, watch: PageWatch | None) -> EngineError:
    """Why `page.goto(url)` failed."""
    if watch is not None and watch.main_error is not None:
        error = watch.main_error
        error.url = error.url or url
        return error
    message = exc.message
    detail = message.splitlines()[0] if message else type(exc).__name__
    if "Download is starting" in message:
        return EngineError(
            ErrorCode.UNSUPPORTED_CONTENT,
            f"{url} starts a file download instead of showing a page, so there is nothing to extract. "
            "Point the bot at the page that links to this file instead.",
            url=url,
            detail=detail,
        )
    if "ERR_NAME_NOT_RESOLVED" in message:
        text = f"The site of {url} could not be found. Check the address for typos, or try again later."
        return EngineError(ErrorCode.NAVIGATION_ERROR, text, url=url, detail=detail)
    if "ERR_TOO_MANY_REDIRECTS" in message:
        return EngineError(
            ErrorCode.TOO_MANY_REDIRECTS,
            f"{url} redirected too many times (probably in a loop). Open it in a browser to check where it leads.",
            url=url,
            detail=detail,
        )
    if "ERR_CERT" in message or "ERR_SSL" in message:
        return EngineError(
            ErrorCode.NAVIGATION_ERROR,
            f"The security certificate of {url} is not valid, so ScrapeFlow did not load the page.",
            url=url,
            detail=detail,
        )
    return EngineError(
        ErrorCode.NAVIGATION_ERROR,
        f"The browser could not load {url}. Check that the site is up, or try again later.",
        url=url,
        retryable=True,
        detail=detail,
    )
