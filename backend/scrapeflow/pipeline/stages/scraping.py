"""The scrape stage: one batch of pages fetched and extracted, recorded in groups with their snapshots."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import bindparam, select, text, update

from scrapeflow.bots.test_runs import BotRun, load_bot_run
from scrapeflow.db import session_scope
from scrapeflow.engine.browser.options import SessionOptions
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchedPage
from scrapeflow.engine.runner import PageResult, Rendering, process_page
from scrapeflow.engine.steps import NextPage
from scrapeflow.executions import logs
from scrapeflow.kit.artifacts import ArtifactStore, pack_keys
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStage, Page, PageStatus
from scrapeflow.observability.metrics import count_pages
from scrapeflow.pipeline.stages.common import (
    FINISHED,
    Runtime,
    fetcher_of,
    insert_pages,
    load,
    pending_pages,
    snapshot_pack,
    url_hash,
)

FLUSH_EVERY_SECONDS = 1.0
FLUSH_EVERY_PAGES = 250
FLUSH_EVERY_BYTES = 8 * 1024 * 1024
"""Snapshot bytes held before a group is written, whatever its page count: large pages are written sooner."""


class SnapshotFetcher:
    """Serves the stored snapshots of a past execution's pages, so re-extraction fetches nothing."""

    def __init__(self, artifacts: ArtifactStore, snapshots: dict[str, str]) -> None:
        self.artifacts = artifacts
        self.snapshots = snapshots  # url → snapshot key

    async def fetch(self, url: str, *, allow_binary: bool = False) -> FetchedPage:
        key = self.snapshots.get(url)
        if key is None:
            raise EngineError(ErrorCode.NAVIGATION_ERROR, f"No snapshot of {url} was kept; it is not fetched again.")
        body = await self.artifacts.get(key)
        return FetchedPage(
            url=url,
            final_url=url,
            status=200,
            headers=httpx.Headers({"content-type": "text/html; charset=utf-8"}),
            content=body,
            text=body.decode("utf-8", "replace"),
            encoding="utf-8",
            content_type="text/html",
            elapsed=0.0,
            redirects=[],
            http_version="snapshot",
            attempts=1,
        )

    async def sitemaps_of(self, url: str) -> list[str]:
        return []


class _CancelWatch:
    """Whether the execution was cancelled, read at most every half second (batches stop at the next page)."""

    def __init__(self, rt: Runtime, execution_id: uuid.UUID) -> None:
        self.rt, self.execution_id = rt, execution_id
        self.checked = 0.0
        self.cancelled = False

    async def __call__(self) -> bool:
        if not self.cancelled and time.monotonic() - self.checked > 0.5:
            self.checked = time.monotonic()
            async with self.rt.sessionmaker() as session:
                status = await session.scalar(select(Execution.status).where(Execution.id == self.execution_id))
            self.cancelled = status in FINISHED
        return self.cancelled


@dataclass
class _Done:
    page_id: uuid.UUID
    result: PageResult
    snapshot_key: str | None
    snapshot: bytes | None = None
    """The page's HTML, stored in its group's pack (which gives it its `snapshot_key`) when it is recorded."""


async def scrape_stage(rt: Runtime, execution_id: uuid.UUID, page_ids: list[uuid.UUID]) -> None:
    async with session_scope(rt.sessionmaker) as session:
        loaded = await load(session, execution_id)
        if loaded is None or loaded.execution.stage is not ExecutionStage.scraping:
            return
        execution = loaded.execution
        run = await load_bot_run(session, loaded.subject, loaded.bot, loaded.plan, settings=rt.settings, box=rt.box)
        pages = (
            await session.execute(
                select(Page.id, Page.url, Page.step_index, Page.snapshot_key).where(
                    Page.org_id == execution.org_id,
                    Page.execution_id == execution.id,
                    Page.id.in_(page_ids),
                    Page.status == PageStatus.pending,
                )
            )
        ).all()
        reextract_from = (execution.caps or {}).get("reextract_from")
    if not pages:
        return
    plan = loaded.plan
    snapshots = {url: key for _, url, _, key in pages if key}
    cancelled = _CancelWatch(rt, execution_id)
    recorder = _Recorder(lambda group: _record_pages(rt, execution_id, group))

    async with contextlib.AsyncExitStack() as stack:
        fetcher: Any
        if reextract_from:
            fetcher = SnapshotFetcher(rt.artifacts, snapshots)
            rendering = Rendering("http")
        else:
            fetcher = await rt.fetchers.get(execution_id, lambda: fetcher_of(rt, run))
            browser = await stack.enter_async_context(_browser_session(rt, run))
            rendering = Rendering(run.fetch.render, browser)
        limit = asyncio.Semaphore(max(1, rt.settings.scrape_concurrency))

        async def one(page_id: uuid.UUID, item: NextPage, group: asyncio.TaskGroup) -> None:
            async with limit:
                if await cancelled():
                    return
                result = await process_page(fetcher, plan, item, keep_html=True, rendering=rendering)
            if reextract_from:
                done = _Done(page_id, result, snapshots.get(item.url))
            elif result.html is not None:
                done = _Done(page_id, result, None, result.html.encode())
            else:
                done = _Done(page_id, result, None)
            result.html = None
            if result.next_pages and not reextract_from:
                for new_id, new_item in await _claim_next(rt, execution_id, result.next_pages):
                    group.create_task(one(new_id, new_item, group))
            await recorder.add(done)

        async with asyncio.TaskGroup() as group:
            for page_id, url, step_index, _ in pages:
                group.create_task(one(page_id, NextPage(url, step_index), group))
    await recorder.flush()
    # The chord's body runs once every batch has reported. Redis counts them as they finish; the embedded
    # broker's file result backend is polled, a poll late, so there the last batch to finish hands on at
    # once. `extract` moves on once only, whoever sends it first.
    if not rt.settings.redis_url and not await _pending_after_batch(rt, execution_id):
        rt.enqueue.stage("extract", execution_id, loaded.execution.priority)


def flush_due(pages: int, held: int, waited: float) -> bool:
    """Whether finished pages are written now: `pages` of them waiting, holding `held` snapshot bytes, `waited`
    seconds after the last group was written."""
    return pages >= FLUSH_EVERY_PAGES or held >= FLUSH_EVERY_BYTES or waited > FLUSH_EVERY_SECONDS


class _Recorder:
    """Finished pages are written in groups, one group at a time: every second (so the live counters move while
    a batch runs), or sooner once `FLUSH_EVERY_PAGES` pages or `FLUSH_EVERY_BYTES` of snapshots are waiting.
    Each group costs a pack and a transaction whatever its size, so a fast batch writes few, large groups, and
    pages that finish while a group is written wait for the next one (writing them at once made a trail of
    small groups: 3.14 s instead of 2.75 s for 2,000 pages in groups of 125)."""

    def __init__(self, write: Callable[[list[_Done]], Awaitable[None]]) -> None:
        self.write = write
        self.done: list[_Done] = []
        self.held = 0  # snapshot bytes in `done`
        self.flushed_at = time.monotonic()
        self.flushing = False

    async def add(self, done: _Done) -> None:
        self.done.append(done)
        self.held += len(done.snapshot or b"")
        if not self.flushing and flush_due(len(self.done), self.held, time.monotonic() - self.flushed_at):
            await self.flush()

    async def flush(self) -> None:
        """Write what is waiting as one group."""
        if not self.done:
            return
        self.flushing = True
        try:
            group, self.done, self.held = self.done, [], 0
            await self.write(group)
        finally:
            self.flushing, self.flushed_at = False, time.monotonic()


async def _pending_after_batch(rt: Runtime, execution_id: uuid.UUID) -> list[uuid.UUID]:
    async with rt.sessionmaker() as session:
        execution = await session.get(Execution, execution_id)
        return [] if execution is None else await pending_pages(session, execution)


async def _claim_next(rt: Runtime, execution_id: uuid.UUID, items: list[NextPage]) -> list[tuple[uuid.UUID, NextPage]]:
    """Pages a step led to (next pages, followed links): this batch takes those no other batch has."""
    async with session_scope(rt.sessionmaker) as session:
        execution = await session.get(Execution, execution_id)
        if execution is None:
            return []
        by_hash = {url_hash(item.url): item for item in items}
        added = await insert_pages(session, execution, ((item, None) for item in items))
        if not added:
            return []
        rows = await session.execute(select(Page.id, Page.url_hash).where(Page.id.in_(added)))
        await session.execute(
            update(Execution).where(Execution.id == execution_id).values(urls_found=Execution.urls_found + len(added))
        )
        return [(page_id, by_hash[digest]) for page_id, digest in rows]


@contextlib.asynccontextmanager
async def _browser_session(rt: Runtime, run: BotRun) -> AsyncIterator[Any]:
    if rt.browser is None or run.fetch.render == "http":
        yield None
        return
    options = run.options
    async with rt.browser.session(
        SessionOptions(
            user_agent=options.get("user_agent"),
            headers=options.get("headers") or {},
            cookies=options.get("cookies") or {},
            proxies=tuple(options.get("proxies") or ()),
            block=frozenset(run.fetch.block),
            capture=frozenset(run.fetch.capture),
            page_timeout=run.fetch.page_timeout_seconds or rt.settings.browser_page_timeout_seconds,
            secrets=dict(run.secrets).get,
        )
    ) as session:
        yield session


_RECORD_PAGE = (
    update(Page.__table__)  # type: ignore[arg-type]
    .where(Page.__table__.c.id == bindparam("page_id"))
    .values(
        status=bindparam("new_status"),
        http_status=bindparam("http_status"),
        render=bindparam("render"),
        attempts=Page.__table__.c.attempts + 1,
        content_hash=bindparam("content_hash"),
        snapshot_key=bindparam("snapshot_key"),
        rows=bindparam("rows"),
        error_code=bindparam("error_code"),
        error_message=bindparam("error_message"),
        fetched_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


# On PostgreSQL a group is one statement: one array per column, and the UPDATE itself locks the pages and
# re-checks that they are still pending (a page a duplicate batch recorded first is skipped and counts once).
_RECORD_PAGES_POSTGRESQL = text(
    """
    UPDATE pages AS page
    SET status = done.status, http_status = done.http_status, render = done.render,
        attempts = page.attempts + 1, content_hash = done.content_hash, snapshot_key = done.snapshot_key,
        rows = done.rows, error_code = done.error_code, error_message = done.error_message,
        fetched_at = :now, updated_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:http_statuses AS integer[]),
                CAST(:renders AS text[]), CAST(:content_hashes AS text[]), CAST(:snapshot_keys AS text[]),
                CAST(:rows AS jsonb[]), CAST(:error_codes AS text[]), CAST(:error_messages AS text[]))
         AS done(id, status, http_status, render, content_hash, snapshot_key, rows, error_code, error_message)
    WHERE page.id = done.id AND page.status = 'pending'
    RETURNING page.id
    """
)


async def _record_pages(rt: Runtime, execution_id: uuid.UUID, group: list[_Done]) -> None:
    """Write a group of finished pages and the execution's counters in one transaction (one statement for all
    the pages), while their snapshots are stored as one pack; the transaction commits once the pack is stored,
    so no page ever names a snapshot that is not there."""
    fresh = [item for item in group if item.snapshot is not None]
    storing = None
    if fresh:
        pack, snapshots = snapshot_pack(execution_id), [item.snapshot or b"" for item in fresh]
        storing = asyncio.ensure_future(rt.artifacts.put_pack(pack, snapshots))
        for item, key in zip(fresh, pack_keys(pack, snapshots), strict=True):
            item.snapshot_key, item.snapshot = key, None
    try:
        await _write_pages(rt, execution_id, group, storing)
    finally:
        if storing is not None:
            with contextlib.suppress(Exception):  # raised already, or behind the transaction's own error
                await storing  # never left running


async def _write_pages(
    rt: Runtime, execution_id: uuid.UUID, group: list[_Done], storing: asyncio.Future[list[str]] | None
) -> None:
    now = utcnow()
    values = [_page_values(item, now) for item in group]
    async with session_scope(rt.sessionmaker) as session:
        if session.get_bind().dialect.name == "postgresql":
            written = set(await session.scalars(_RECORD_PAGES_POSTGRESQL, _columns(values, now)))
        else:
            # Only pages still pending are written, and they stay locked until the commit.
            written = set(
                await session.scalars(
                    select(Page.id)
                    .where(Page.id.in_([item.page_id for item in group]), Page.status == PageStatus.pending)
                    .with_for_update()
                )
            )
            if written:
                await session.execute(_RECORD_PAGE, [value for value in values if value["page_id"] in written])
        if storing is not None:
            await storing
        recorded = [item for item in group if item.page_id in written]
        if not recorded:
            return
        ok = sum(1 for item in recorded if item.result.ok)
        failed = len(recorded) - ok
        count_pages("done", ok)
        count_pages("failed", failed)
        await session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(pages_done=Execution.pages_done + ok, pages_failed=Execution.pages_failed + failed, updated_at=now)
        )
        errors = [(item.result.url, item.result.error) for item in recorded if item.result.error is not None]
        execution = await session.get(Execution, execution_id) if errors else None
        if execution is not None:
            for url, error in errors:
                await logs.append(
                    session,
                    execution,
                    f"{url}: {error.message}",
                    event="page_failed",
                    level="warning",
                    url=url,
                    code=error.code.value,
                )


def _columns(values: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        "now": now,
        "ids": [value["page_id"] for value in values],
        "statuses": [value["new_status"].value for value in values],
        "http_statuses": [value["http_status"] for value in values],
        "renders": [value["render"] for value in values],
        "content_hashes": [value["content_hash"] for value in values],
        "snapshot_keys": [value["snapshot_key"] for value in values],
        "rows": [None if value["rows"] is None else json.dumps(value["rows"]) for value in values],
        "error_codes": [value["error_code"] for value in values],
        "error_messages": [value["error_message"] for value in values],
    }


def _page_values(item: _Done, now: datetime) -> dict[str, Any]:
    result, error = item.result, item.result.error
    return {
        "page_id": item.page_id,
        "new_status": PageStatus.done if result.ok else PageStatus.failed,
        # A page the site refused has no fetched status; its error has the one the site answered.
        "http_status": result.status if error is None else result.status or error.status,
        "render": result.render,
        "content_hash": result.content_hash,
        "snapshot_key": item.snapshot_key,
        "rows": result.rows if result.ok else None,
        "error_code": None if error is None else error.code.value,
        "error_message": None if error is None else error.message,
        "now": now,
    }
