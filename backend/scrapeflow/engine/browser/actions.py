"""The browser actions of the page steps, one function each: wait, scroll, fill's value, and settling after
an action. `PageSteps` (page_steps.py) calls them on the live page within the page's time limit (`Clock`)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from scrapeflow.engine.browser.failures import page_timeout
from scrapeflow.engine.browser.options import SecretResolver
from scrapeflow.engine.browser.routing import PageWatch
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.workflow.nodes import FillData, ScrollData, WaitData

ACTION_TIMEOUT = 10.0  # a click or fill waits at most this long for its element to appear
SETTLE_IDLE = 0.25  # after an action, the page counts as settled once the network is quiet this long…
LOAD_IDLE = 0.15  # …after the load event, this long (scripts fetch their data as they run, or right at load)
SETTLE_LIMIT = 3.0  # …or after this long at most
CONTENT_GRACE = 2.0  # how long a reading step that finds nothing looks again for content rendered late
SCROLL_SETTLE = 1.5  # how long a scroll waits for new items before deciding there are none
MAX_SCROLLS = 100
MAX_LOOP = 500

MEASURE_JS = (
    "(selector) => selector ? document.querySelectorAll(selector).length : document.documentElement.scrollHeight"
)
GREW_JS = f"([selector, before]) => ({MEASURE_JS.split('=> ', 1)[1]}) > before"
SIGNATURE_JS = (
    "document.getElementsByTagName('*').length + ':' + (document.body ? document.body.textContent.length : 0)"
)
CHANGED_JS = f"(before) => ({SIGNATURE_JS}) !== before"


class Clock:
    """The page's time limit: Playwright timeouts end a little before it, so their precise errors win."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def ms(self, cap: float | None = None) -> float:
        seconds = self.left() - 0.2
        if cap is not None:
            seconds = min(seconds, cap)
        return max(1.0, seconds * 1000)


async def settle(page: Page, clock: Clock, watch: PageWatch) -> None:
    """After an action: let a navigation it caused load, then wait for the network to go quiet."""
    with contextlib.suppress(PlaywrightTimeoutError):
        await page.wait_for_load_state("load", timeout=clock.ms(SETTLE_LIMIT))
    await watch.quiet(SETTLE_IDLE, min(SETTLE_LIMIT, clock.left()))


async def wait(page: Page, data: WaitData, clock: Clock) -> None:
    """`until` first, then the selector, then the time (a selector that never comes raises Playwright's timeout)."""
    if data.until is not None:
        try:
            await page.wait_for_load_state(data.until, timeout=clock.ms())
        except PlaywrightTimeoutError:
            raise page_timeout(page.url, clock.seconds) from None
    if data.selector is not None:
        await page.wait_for_selector(data.selector, state="attached", timeout=clock.ms())
    if data.ms:
        await asyncio.sleep(min(data.ms / 1000, clock.left()))


async def scroll(page: Page, data: ScrollData, clock: Clock, watch: PageWatch) -> dict[str, object]:
    """Scroll to the bottom `times` times, or until a scroll brings no new items (or no more height)."""
    selector = data.item_selector
    limit = data.times or (MAX_SCROLLS if data.until_no_new else 1)
    await watch.quiet(SETTLE_IDLE, min(SETTLE_LIMIT, clock.left()))  # the first items may still be on their way
    count = int(await page.evaluate(MEASURE_JS, selector))
    scrolls = 0
    while scrolls < limit:
        await page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        scrolls += 1
        if data.until_no_new:
            try:
                await page.wait_for_function(
                    GREW_JS, arg=[selector, count], timeout=clock.ms(SCROLL_SETTLE), polling=100
                )
            except PlaywrightTimeoutError:
                break
        else:
            await watch.quiet(SETTLE_IDLE, min(SCROLL_SETTLE, clock.left()))
        count = int(await page.evaluate(MEASURE_JS, selector))
    return {"scrolls": scrolls, ("items" if selector else "height"): count}


def fill_value(node_id: str, data: FillData, secrets: SecretResolver | None) -> tuple[str, dict[str, object]]:
    """What to type, and what the step's output may show of it: a secret's name, or a value's length."""
    if data.secret is None:
        assert data.value is not None
        return data.value, {"characters": len(data.value)}
    value = secrets(data.secret) if secrets is not None else None
    if value is None:
        raise EngineError(
            ErrorCode.SECRET_MISSING,
            f"The step {node_id} types the secret “{data.secret}”, which this bot does not have. "
            "Add it in the bot's secrets, or type a value instead.",
        )
    return value, {"secret": data.secret}
