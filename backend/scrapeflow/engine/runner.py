"""Running a Plan: discover, fetch and process pages concurrently, then post-process the rows.

`process_page` is the unit the pipeline's scrape tasks call per URL; `crawl` drives a whole run in
one process (the test-run endpoint, benchmarks, the single-machine fallback). A `Rendering` decides per
page whether it is fetched over HTTP or rendered in the browser, and the result says which and why.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from scrapeflow.engine.browser.options import Artifact, RenderedPage
from scrapeflow.engine.discovery import Fetcher, discover
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import Row
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.politeness import Outcome
from scrapeflow.engine.steps import NextPage, StepOutput, browser_step, has_value, run_page_steps
from scrapeflow.engine.urls import normalise
from scrapeflow.workflow.plan import Plan, Step

RenderMode = Literal["auto", "http", "browser"]


class PageBrowser(Protocol):
    """What renders pages in a browser for a run (engine.browser.session.BrowserSession)."""

    async def render(self, url: str, steps: tuple[Step, ...], start: int = 0, page_number: int = 1) -> RenderedPage: ...


@dataclass
class Rendering:
    """How a run's pages are fetched. `auto` fetches over HTTP and renders in the browser when the page's steps
    need it, or when its selectors matched nothing over HTTP; a kind of page (site and step) that needed
    rendering once goes to the browser directly after that."""

    mode: RenderMode = "http"
    browser: PageBrowser | None = None
    learned: set[tuple[str, int]] = field(default_factory=set)
    signed_in: bool = False
    """A page typed into a form in the browser (a login): the run's session lives in the browser now."""


@dataclass
class PageResult:
    url: str
    step_index: int
    page_number: int
    final_url: str | None = None
    status: int | None = None
    rows: list[Row] = field(default_factory=list)
    next_pages: list[NextPage] = field(default_factory=list)
    outputs: list[StepOutput] = field(default_factory=list)
    misses: dict[str, int] = field(default_factory=dict)
    error: EngineError | None = None
    elapsed: float = 0.0
    html: str | None = None
    content_hash: str | None = None
    render: Literal["http", "browser"] = "http"
    render_reason: str = "plain HTTP fetching"
    artifacts: list[Artifact] = field(default_factory=list)
    """Screenshots and HAR files the browser took (bytes; storing them is the caller's job)."""
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


async def process_page(
    fetcher: Fetcher, plan: Plan, item: NextPage, *, keep_html: bool = False, rendering: Rendering | None = None
) -> PageResult:
    """Fetch one page (over HTTP or in the browser, as `rendering` decides) and run the plan's page steps
    from `item.step_index`; failures become `error`."""
    if rendering is None or rendering.mode == "http" or rendering.browser is None:
        result = await _over_http(fetcher, plan, item, keep_html)
        if rendering is not None:
            result.render_reason = _HTTP_REASONS[rendering.mode]
        return result
    browser = rendering.browser
    if rendering.mode == "browser":
        reason = "the bot is set to render in the browser"
        return await _signed(rendering, await _in_browser(fetcher, browser, plan, item, keep_html, reason))
    step = browser_step(plan.page_steps, item.step_index)
    if step is not None:
        reason = f"the step {step.node_id} ({step.type}) needs a browser"
        return await _signed(rendering, await _in_browser(fetcher, browser, plan, item, keep_html, reason))
    if rendering.signed_in:
        reason = "an earlier page signed in (typed into a form) in the browser, and only the browser has that session"
        return await _signed(rendering, await _in_browser(fetcher, browser, plan, item, keep_html, reason))
    kind = (urlsplit(item.url).netloc, item.step_index)
    if kind in rendering.learned:
        reason = "an earlier page like this one only had its content after rendering"
        return await _in_browser(fetcher, browser, plan, item, keep_html, reason)
    result = await _over_http(fetcher, plan, item, keep_html)
    if not result.ok or not _found_nothing(result.outputs):
        result.render_reason = "the page had what the steps look for over HTTP"
        return result
    reason = "the selectors matched nothing over HTTP but did after rendering"
    rendered = await _in_browser(fetcher, browser, plan, item, keep_html, reason)
    if rendered.ok and not _found_nothing(rendered.outputs):
        rendering.learned.add(kind)
        rendered.elapsed += result.elapsed
        return rendered
    result.render_reason = "the selectors matched nothing, over HTTP or after rendering"
    return result


_HTTP_REASONS: dict[RenderMode, str] = {
    "http": "the bot is set to plain HTTP fetching",
    "auto": "no browser is available here, so plain HTTP fetching",
    "browser": "no browser is available here, so plain HTTP fetching",
}


async def _signed(rendering: Rendering, result: PageResult) -> PageResult:
    if result.ok and any(output.type == "fill" for output in result.outputs):
        rendering.signed_in = True
    return result


def _found_nothing(outputs: list[StepOutput]) -> bool:
    """True when the page's extract and follow steps ran and none of their selectors matched anything."""
    looked = False
    for output in outputs:
        if output.type == "extract":
            looked = True
            if any(has_value(value) for row in output.rows or () for value in row.values()):
                return False
        elif output.type == "follow":
            looked = True
            if output.values.get("links"):
                return False
    return looked


async def _over_http(fetcher: Fetcher, plan: Plan, item: NextPage, keep_html: bool) -> PageResult:
    started = time.perf_counter()
    result = PageResult(item.url, item.step_index, item.page_number)
    try:
        page = await fetcher.fetch(item.url)
        result.final_url, result.status = page.final_url, page.status
        result.content_hash = hashlib.sha256(page.content).hexdigest()
        if keep_html:
            result.html = page.text
        work = run_page_steps(
            PageDocument(page.text, page.final_url), plan.page_steps, item.step_index, item.page_number
        )
        result.rows, result.next_pages, result.outputs, result.misses = (
            work.rows,
            work.next_pages,
            work.outputs,
            work.misses,
        )
    except EngineError as error:
        result.error = error
    result.elapsed = time.perf_counter() - started
    return result


async def _in_browser(
    fetcher: Fetcher, browser: PageBrowser, plan: Plan, item: NextPage, keep_html: bool, reason: str
) -> PageResult:
    """Render the page; robots.txt and the site's politeness limits apply as they do over HTTP."""
    started = time.perf_counter()
    result = PageResult(item.url, item.step_index, item.page_number, render="browser", render_reason=reason)
    domain: str | None = None
    if isinstance(fetcher, HttpFetcher):
        try:
            target = fetcher.guard.check_url(item.url)
            if fetcher.options.respect_robots:
                await fetcher.robots.check(target)
        except EngineError as error:
            result.error = error
            result.elapsed = time.perf_counter() - started
            return result
        domain = target.host
        await fetcher.limiter.acquire(domain)
    rendered: RenderedPage | None = None
    try:
        rendered = await browser.render(item.url, plan.page_steps, item.step_index, item.page_number)
    finally:
        if domain is not None and isinstance(fetcher, HttpFetcher):
            status = rendered.status if rendered is not None else None
            latency = rendered.navigation_seconds if rendered is not None else 0.0
            await fetcher.limiter.release(domain, Outcome(status, latency))
    work = rendered.work
    result.final_url, result.status, result.error = rendered.final_url, rendered.status, rendered.error
    result.rows, result.next_pages, result.outputs, result.misses = (
        work.rows,
        work.next_pages,
        work.outputs,
        work.misses,
    )
    result.artifacts, result.blocked, result.notes = rendered.artifacts, rendered.blocked, rendered.notes
    if rendered.html is not None:
        result.content_hash = hashlib.sha256(rendered.html.encode()).hexdigest()
        if keep_html:
            result.html = rendered.html
    result.elapsed = time.perf_counter() - started
    return result


async def start_items(fetcher: Fetcher, plan: Plan, urls: list[str] | None = None) -> list[NextPage]:
    """The first pages of a run: given URLs, else the Start URLs, widened by the `map` step."""
    if urls:
        return [NextPage(url, 0) for url in urls]
    options = plan.map_options
    if options is None:
        return [NextPage(url, 0) for url in plan.start_urls]
    return [NextPage(found.url, 0) for found in await discover(fetcher, plan.start_urls, options)]


async def crawl(
    fetcher: Fetcher,
    plan: Plan,
    *,
    urls: list[str] | None = None,
    max_pages: int = 10_000,
    concurrency: int = 16,
    keep_html: bool = False,
    rendering: Rendering | None = None,
) -> AsyncIterator[PageResult]:
    """Yield each page's result as it completes; pages found by `paginate` and `follow` join the queue."""
    queue: asyncio.Queue[NextPage | None] = asyncio.Queue()
    results: asyncio.Queue[PageResult] = asyncio.Queue()
    seen: set[tuple[str, int]] = set()
    scheduled = 0
    pending = 0

    def schedule(item: NextPage) -> None:
        nonlocal scheduled, pending
        key = (normalise(item.url) or item.url, item.step_index)
        if key in seen or scheduled >= max_pages:
            return
        seen.add(key)
        scheduled += 1
        pending += 1
        queue.put_nowait(item)

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            await results.put(await process_page(fetcher, plan, item, keep_html=keep_html, rendering=rendering))

    for item in await start_items(fetcher, plan, urls):
        schedule(item)
    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    try:
        while pending:
            result = await results.get()
            pending -= 1
            for item in result.next_pages:
                schedule(item)
            yield result
    finally:
        for _ in workers:
            queue.put_nowait(None)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
