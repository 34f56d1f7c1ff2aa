"""Running a Plan: discover, fetch and process pages concurrently, then post-process the rows.

`process_page` is the unit the pipeline's scrape tasks call per URL; `crawl` drives a whole run in
one process (the test-run endpoint, benchmarks, the single-machine fallback).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from scrapeflow.engine.discovery import Fetcher, discover
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import Row
from scrapeflow.engine.steps import NextPage, StepOutput, run_page_steps
from scrapeflow.engine.urls import normalise
from scrapeflow.workflow.plan import Plan


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

    @property
    def ok(self) -> bool:
        return self.error is None


async def process_page(fetcher: Fetcher, plan: Plan, item: NextPage, *, keep_html: bool = False) -> PageResult:
    """Fetch one page and run the plan's page steps from `item.step_index`; failures become `error`."""
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
            await results.put(await process_page(fetcher, plan, item, keep_html=keep_html))

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
