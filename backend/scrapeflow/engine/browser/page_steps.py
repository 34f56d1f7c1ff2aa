"""The page steps on a live page. Browser actions (navigate, wait, click, fill, scroll, screenshot) act on
the page; the reading steps (extract, follow, loop, paginate by link or URL pattern) run the HTTP path's own
code (StepRecorder.document_step) on a snapshot of the rendered HTML, taken again after each action.

Two steps mean more in a browser: `paginate` whose next selector is a button (no link) clicks it and runs
the following steps on each state of the page, and `loop` followed by actions runs the following steps
once per matched element, looking each selector up in that element first, then in the whole page.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from scrapeflow.engine.browser.actions import (
    ACTION_TIMEOUT,
    CHANGED_JS,
    CONTENT_GRACE,
    MAX_LOOP,
    SETTLE_LIMIT,
    SIGNATURE_JS,
    Clock,
    fill_value,
    scroll,
    settle,
    wait,
)
from scrapeflow.engine.browser.failures import BrowserCrashed, is_crash, page_timeout, selector_timeout
from scrapeflow.engine.browser.options import Artifact, SecretResolver
from scrapeflow.engine.browser.routing import PageWatch
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import loop_scopes, run_extract
from scrapeflow.engine.steps import BROWSER_STEPS, StepOutput, StepRecorder, browser_step
from scrapeflow.workflow.nodes import (
    ClickData,
    ExtractData,
    FillData,
    LoopData,
    NavigateData,
    PaginateData,
    ScreenshotData,
    ScrollData,
    WaitData,
)
from scrapeflow.workflow.plan import Step


@dataclass
class _Scope:
    """The element a `loop` iteration is on."""

    selector: str
    index: int
    locator: Locator


class PageSteps:
    """Runs steps[start:] on one live page into `recorder`; raises EngineError (with the failing step's
    output marked) or BrowserCrashed."""

    def __init__(
        self,
        page: Page,
        steps: tuple[Step, ...],
        page_number: int,
        *,
        clock: Clock,
        watch: PageWatch,
        recorder: StepRecorder,
        navigate: Callable[[str], Awaitable[None]],
        secrets: SecretResolver | None,
    ) -> None:
        self.page, self.steps, self.page_number = page, steps, page_number
        self.clock, self.watch, self.recorder = clock, watch, recorder
        self.navigate, self.secrets = navigate, secrets
        self.artifacts: list[Artifact] = []
        self.interacted = False
        """A click, fill or navigate ran: the run's cookies and local storage may have changed (a login)."""
        self._scope: _Scope | None = None
        self._doc: PageDocument | None = None
        self._waited = False

    async def run(self, start: int) -> None:
        await self._run(start)

    async def _run(self, start: int) -> bool:
        """False when a `follow` ended this page's work (the next steps run on the linked pages)."""
        for index in range(start, len(self.steps)):
            step = self.steps[index]
            data = step.data
            if isinstance(data, PaginateData) and data.next_selector and not data.url_pattern:
                if await self._paginate(step, data, index):
                    return True
            elif isinstance(data, LoopData) and browser_step(self.steps, index + 1) is not None:
                await self._loop(step, data, index)
                return True
            elif step.type in BROWSER_STEPS:
                await self._act(step)
            elif isinstance(data, ExtractData) and self._scope is not None:
                await self._extract_in_scope(step, data, self._scope)
            else:
                doc = await self._patient_document(index)
                if not self.recorder.document_step(doc, step, index, self.page_number):
                    return False
        return True

    async def _patient_document(self, index: int) -> PageDocument:
        """The snapshot the reading steps from `index` run on. When the next extract or follow step finds nothing,
        the content may still be on its way (a script rendering late, a busy machine): the page is looked at
        again for a moment, once per page."""
        doc = await self._document()
        probe = self._next_reading_step(index)
        if self._waited or probe is None or not self.recorder.finds_nothing(doc, *probe):
            return doc
        self._waited = True
        until = time.monotonic() + min(CONTENT_GRACE, self.clock.left() - 0.5)
        while time.monotonic() < until:
            await asyncio.sleep(0.25)
            self._doc = None
            doc = await self._document()
            if not self.recorder.finds_nothing(doc, *probe):
                break
        return doc

    def _next_reading_step(self, index: int) -> tuple[Step, int] | None:
        for position in range(index, len(self.steps)):
            step = self.steps[position]
            if step.type in ("extract", "follow"):
                return step, position
            if step.type in BROWSER_STEPS:
                return None
        return None

    async def _document(self) -> PageDocument:
        if self._doc is None:
            self._doc = PageDocument(await self.content(), self.page.url)
        return self._doc

    async def html(self) -> str:
        """The page as the steps left it (the last snapshot, when nothing acted since)."""
        return self._doc.html if self._doc is not None else await self.content()

    async def content(self) -> str:
        """The rendered HTML; a page in the middle of navigating is waited for."""
        for _ in range(5):
            try:
                return await self.page.content()
            except PlaywrightError as exc:
                if "navigat" not in exc.message and "context was destroyed" not in exc.message:
                    raise
                await settle(self.page, self.clock, self.watch)
        return await self.page.content()

    # Browser actions

    async def _act(self, step: Step) -> None:
        output = self.recorder.output(step)
        began = time.perf_counter()
        self._doc = None
        try:
            await self._action(step, output)
        except PlaywrightTimeoutError:
            selector = getattr(step.data, "selector", None)
            if selector is None:
                error = page_timeout(self.page.url, self.clock.seconds)
            else:
                error = selector_timeout(selector, time.perf_counter() - began, step.node_id)
            output.error = error.message
            raise error from None
        except EngineError as exc:
            output.error = exc.message
            raise
        except PlaywrightError as exc:
            browser = self.page.context.browser
            if is_crash(exc, self.watch, browser is not None and browser.is_connected()):
                raise BrowserCrashed(exc.message) from None
            line = exc.message.splitlines()[0] if exc.message else type(exc).__name__
            error = EngineError(
                ErrorCode.NAVIGATION_ERROR,
                f"The step {step.node_id} ({step.type}) could not run in the browser: {line}",
                url=self.page.url,
            )
            output.error = error.message
            raise error from None
        finally:
            output.elapsed_ms += (time.perf_counter() - began) * 1000
            self._doc = None

    async def _action(self, step: Step, output: StepOutput) -> None:
        data = step.data
        page = self.page
        if isinstance(data, NavigateData):
            self.interacted = True
            await self.navigate(data.url)
            output.values = {"url": page.url}
        elif isinstance(data, WaitData):
            await wait(page, data, self.clock)
            output.values = {key: value for key, value in data.model_dump().items() if value is not None}
        elif isinstance(data, ClickData):
            self.interacted = True
            await (await self._target(data.selector)).click(timeout=self.clock.ms(ACTION_TIMEOUT))
            await settle(page, self.clock, self.watch)
            output.values = {"selector": data.selector}
        elif isinstance(data, FillData):
            self.interacted = True
            value, shown = fill_value(step.node_id, data, self.secrets)
            await (await self._target(data.selector)).fill(value, timeout=self.clock.ms(ACTION_TIMEOUT))
            output.values = {"selector": data.selector, **shown}
        elif isinstance(data, ScrollData):
            output.values = await scroll(page, data, self.clock, self.watch)
        elif isinstance(data, ScreenshotData):
            image = await page.screenshot(full_page=data.full_page, type="png", timeout=self.clock.ms())
            self.artifacts.append(Artifact("screenshot", "image/png", image, step.node_id))
            output.values = {"bytes": len(image), "full_page": data.full_page}

    async def _target(self, selector: str) -> Locator:
        """In a loop: the current element (for the loop's own selector), else a match inside it, else the page's."""
        scope = self._scope
        if scope is not None:
            if selector == scope.selector:
                return scope.locator
            inner = scope.locator.locator(selector)
            if await inner.count():
                return inner.first
        return self.page.locator(selector).first

    # Steps that repeat the steps after them

    async def _paginate(self, step: Step, data: PaginateData, index: int) -> bool:
        """True when the next pages were shown here by clicking (the following steps have run on each)."""
        assert data.next_selector is not None
        self.recorder.document_step(await self._patient_document(index), step, index, self.page_number)
        output = self.recorder.output(step)
        if output.values.get("next") or self.page_number >= data.max_pages or self._scope is not None:
            return False  # a link: the next page is scheduled like over HTTP
        if not await self.page.locator(data.next_selector).count():
            return False
        first_row = len(self.recorder.list_rows)
        shown = 1
        while True:
            await self._run(index + 1)
            if self.page_number + shown > data.max_pages or not await self._click_next(step, data.next_selector):
                break
            shown += 1
        # A "load more" button keeps the earlier items on the page: each row is kept once.
        rows = self.recorder.list_rows
        unique = {json.dumps(row, sort_keys=True, default=str): row for row in rows[first_row:]}
        rows[first_row:] = list(unique.values())
        output.values = {"pages": shown, "next": []}
        return True

    async def _click_next(self, step: Step, selector: str) -> bool:
        button = self.page.locator(selector).first
        if not await button.count() or not await button.is_visible() or not await button.is_enabled():
            return False
        self._doc = None
        before = await self.page.evaluate(f"() => {SIGNATURE_JS}")
        began = time.perf_counter()
        try:
            await button.click(timeout=self.clock.ms(ACTION_TIMEOUT))
        except PlaywrightTimeoutError:
            raise selector_timeout(selector, time.perf_counter() - began, step.node_id) from None
        try:
            await self.page.wait_for_function(CHANGED_JS, arg=before, timeout=self.clock.ms(SETTLE_LIMIT), polling=50)
        except PlaywrightTimeoutError:
            return False  # the click changed nothing: there is no next page
        except PlaywrightError:
            pass  # the click navigated: the old document is gone
        await settle(self.page, self.clock, self.watch)
        return True

    async def _loop(self, step: Step, data: LoopData, index: int) -> None:
        outer = self._scope
        output = self.recorder.output(step)
        count = min(await self.page.locator(data.selector).count(), MAX_LOOP)
        output.values = {"selector": data.selector, "elements": count}
        try:
            for position in range(count):
                self._scope = _Scope(data.selector, position, self.page.locator(data.selector).nth(position))
                await self._run(index + 1)
        finally:
            self._scope = outer

    async def _extract_in_scope(self, step: Step, data: ExtractData, scope: _Scope) -> None:
        """One row per loop iteration: each field read inside the current element, else in the whole page."""
        began = time.perf_counter()
        output = self.recorder.output(step)
        doc = await self._document()
        elements = loop_scopes(doc, scope.selector, data)
        element = elements[scope.index] if scope.index < len(elements) else None
        result = run_extract(doc, data, [element] if element is not None else None)
        if element is not None and data.mode == "single" and result.misses and result.rows:
            missing = [spec for spec in data.fields if spec.name in result.misses]
            page_wide = run_extract(doc, data.model_copy(update={"fields": missing}))
            for name, value in page_wide.rows[0].items():
                if value is not None and value != []:
                    result.rows[0][name] = value
                    result.misses.pop(name, None)
        self.recorder.record_extract(output, data, result, as_rows=True)
        output.elapsed_ms += (time.perf_counter() - began) * 1000
