"""The stages of an execution: map → scrape (a chord of batches) → extract → save → export.

Each stage is idempotent: it reads the execution's state, does only what is not done, and moves the execution
on with an atomic claim (`UPDATE … WHERE stage = <from>`), so a task delivered twice (a worker killed before
its ack) or restarted by the watchdog changes nothing twice. Tasks pass ids; pages, snapshots and rows live in
the database and artifact storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.billing.quotas import admit_pages, settle, stop, token_limit
from scrapeflow.billing.usage import add_usage
from scrapeflow.bots.fetchers import fetcher_for
from scrapeflow.bots.test_runs import BotRun, llm_extract, load_bot_run, merge_llm_rows
from scrapeflow.config import Settings
from scrapeflow.db import session_scope
from scrapeflow.engine.browser.options import SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchedPage, HttpFetcher
from scrapeflow.engine.firecrawl import FirecrawlFetcher
from scrapeflow.engine.politeness import DomainLimiter
from scrapeflow.engine.post import post_process, row_diff, row_key
from scrapeflow.engine.runner import PageResult, Rendering, process_page
from scrapeflow.engine.steps import NextPage
from scrapeflow.engine.urls import normalise
from scrapeflow.executions import logs
from scrapeflow.exports import planning as export_planning
from scrapeflow.kit.artifacts import ArtifactStore
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.ids import uuid7
from scrapeflow.kit.time import utcnow
from scrapeflow.models import (
    Bot,
    BotVersion,
    ChangeStatus,
    Execution,
    ExecutionStage,
    ExecutionStatus,
    Page,
    PageStatus,
    ResultRow,
    Role,
)
from scrapeflow.observability.metrics import count_pages, count_rows, observe_stage
from scrapeflow.pipeline.fetchers import FetcherCache
from scrapeflow.workflow.compiler import validate
from scrapeflow.workflow.nodes import DedupeData, ExportData, LlmExtractData
from scrapeflow.workflow.plan import Plan

FINISHED = frozenset(
    {ExecutionStatus.succeeded, ExecutionStatus.partially_succeeded, ExecutionStatus.failed, ExecutionStatus.cancelled}
)
FLUSH_EVERY_SECONDS = 1.0
FLUSH_EVERY_PAGES = 50
WORKER_CLIENT = ClientInfo(ip="worker", user_agent="scrapeflow-worker")


class Enqueuer(Protocol):
    """How stages hand work on (Celery in workers)."""

    def scrape(self, execution_id: uuid.UUID, priority: int, batches: list[list[str]], task_ids: list[str]) -> None:
        """A chord: the batches (with these task ids), then `extract`."""
        ...

    def stage(self, name: str, execution_id: uuid.UUID, priority: int) -> None: ...

    def deliver(self, delivery_id: uuid.UUID) -> None:
        """One export delivery (its own task, retried on its own)."""
        ...


class Sends:
    """Tasks a stage hands on, sent only once its transaction has committed (a task that ran before the commit
    would not see the stage it was sent for)."""

    def __init__(self, enqueue: Enqueuer) -> None:
        self.enqueue = enqueue
        self.pending: list[Callable[[], None]] = []

    def scrape(self, execution: Execution, page_ids: Sequence[uuid.UUID | str], size: int) -> None:
        ids = [str(page_id) for page_id in page_ids]
        batches = [ids[i : i + max(1, size)] for i in range(0, len(ids), max(1, size))]
        if not batches:
            self.stage("extract", execution)
            return
        task_ids = [str(uuid.uuid4()) for _ in batches]
        execution.task_ids = [*execution.task_ids, *task_ids][-500:]  # revoked if the execution is cancelled
        execution_id, priority = execution.id, execution.priority
        self.pending.append(lambda: self.enqueue.scrape(execution_id, priority, batches, task_ids))

    def stage(self, name: str, execution: Execution) -> None:
        execution_id, priority = execution.id, execution.priority
        self.pending.append(lambda: self.enqueue.stage(name, execution_id, priority))

    def send(self) -> None:
        for send in self.pending:
            send()
        self.pending.clear()


@dataclass
class Runtime:
    """What a worker process keeps between tasks."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    box: SecretBox
    artifacts: ArtifactStore
    enqueue: Enqueuer
    limiter: DomainLimiter | None = None
    """Per-site limits shared by every worker (Redis, or the database in single-machine mode)."""
    browser: BrowserPool | None = None
    ssl_context: ssl.SSLContext | None = None
    """One TLS context for every fetcher the process opens: building one loads the CA bundle, ~30 ms of CPU,
    which each scrape batch paid again."""
    fetchers: FetcherCache = field(default_factory=FetcherCache)
    """Each execution's fetcher, kept open across its batches in this process."""


@dataclass
class Loaded:
    execution: Execution
    bot: Bot
    plan: Plan
    subject: AuthSubject


def worker_subject(execution: Execution) -> AuthSubject:
    """The execution acts for its organization with an editor's rights (editors run bots)."""
    return AuthSubject(execution.org_id, Role.editor, execution.triggered_by_id, None, WORKER_CLIENT)


async def _load(session: AsyncSession, execution_id: uuid.UUID) -> Loaded | None:
    """The execution, its bot and the plan of the bot version it runs; None when it is over or gone."""
    execution = await session.get(Execution, execution_id, with_for_update=False, populate_existing=True)
    if execution is None or execution.status in FINISHED:
        return None
    bot = await session.get(Bot, execution.bot_id)
    if bot is None:
        return None
    document = await session.scalar(
        select(BotVersion.workflow_json).where(
            BotVersion.org_id == execution.org_id,
            BotVersion.bot_id == bot.id,
            BotVersion.version == execution.bot_version,
        )
    )
    plan, issues = validate(document if document is not None else bot.workflow_json)
    if plan is None:
        await _fail(session, execution, "INVALID_WORKFLOW", f"The bot's workflow is invalid: {issues[0].message}")
        return None
    logs.bound(execution.id, execution.bot_id, execution.org_id)
    return Loaded(execution, bot, plan, worker_subject(execution))


async def _advance(
    session: AsyncSession, execution: Execution, came_from: ExecutionStage | None, to: ExecutionStage
) -> bool:
    """Move the execution from one stage to the next, once: False when another task already did."""
    await session.flush()  # what the caller changed on `execution` survives the refresh below
    condition = Execution.stage.is_(None) if came_from is None else Execution.stage == came_from
    claimed = await session.scalar(
        update(Execution)
        .where(Execution.id == execution.id, Execution.status == ExecutionStatus.running, condition)
        .values(stage=to, updated_at=utcnow())
        .returning(Execution.id),
        execution_options={"synchronize_session": False},
    )
    if claimed is None:
        return False
    await session.refresh(execution)
    _time_stage(execution, came_from, to)
    await logs.append(session, execution, f"Stage: {to.value}", event="stage", stage=to.value)
    return True


def _time_stage(execution: Execution, came_from: ExecutionStage | None, to: ExecutionStage | None) -> None:
    now = time.time()
    timings = dict(execution.stage_timings or {})
    if came_from is not None and came_from.value in timings:
        entry = dict(timings[came_from.value])
        entry["seconds"] = round(now - entry["started"], 3)
        timings[came_from.value] = entry
        observe_stage(came_from.value, entry["seconds"])
    if to is not None:
        timings[to.value] = {"started": now}
    execution.stage_timings = timings


async def _fail(session: AsyncSession, execution: Execution, code: str, message: str) -> None:
    execution.status = ExecutionStatus.failed
    execution.error_code = code
    execution.error_message = message
    execution.finished_at = utcnow()
    _time_stage(execution, execution.stage, None)
    await logs.append(session, execution, message, event="status", level="error", status="failed", code=code)


def snapshot_key(execution_id: uuid.UUID, page_id: uuid.UUID) -> str:
    """Where a page's snapshot is stored; everything of an execution lives under `executions/<id>/`."""
    return f"{execution_prefix(execution_id)}/{page_id}.html"


def execution_prefix(execution_id: uuid.UUID) -> str:
    return f"executions/{execution_id}"


def _url_hash(url: str) -> str:
    return hashlib.sha256((normalise(url) or url).encode()).hexdigest()


async def _insert_pages(
    session: AsyncSession, execution: Execution, items: Iterable[tuple[NextPage, str | None]]
) -> list[uuid.UUID]:
    """Add pending pages (a page already known to the execution is skipped); the ids of those added."""
    rows = []
    now = utcnow()
    seen: set[str] = set()
    for item, snapshot in items:
        digest = _url_hash(item.url)
        if digest in seen:
            continue
        seen.add(digest)
        rows.append(
            {
                "id": uuid7(),
                "org_id": execution.org_id,
                "execution_id": execution.id,
                "bot_id": execution.bot_id,
                "url": item.url,
                "url_hash": digest,
                "step_index": item.step_index,
                "depth": 0 if item.step_index == 0 else 1,
                "status": PageStatus.pending,
                "attempts": 0,
                "snapshot_key": snapshot,
                "created_at": now,
                "updated_at": now,
            }
        )
    rows = await admit_pages(session, execution, rows)
    if not rows:
        return []
    # One statement compiled once and sent for every row (SQLAlchemy batches it into multi-row INSERTs).
    table = Page.__table__
    added = await session.scalars(
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["org_id", "execution_id", "url_hash"])
        .returning(table.c.id),
        rows,
    )
    return list(added)


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT … ON CONFLICT for the session's database."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table)


# --- map ------------------------------------------------------------------------------------------------------


async def map_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    async with session_scope(rt.sessionmaker) as session:
        loaded = await _load(session, execution_id)
        if loaded is None:
            return
        execution = loaded.execution
        if execution.status is ExecutionStatus.queued:
            started = await session.scalar(
                update(Execution)
                .where(Execution.id == execution.id, Execution.status == ExecutionStatus.queued)
                .values(status=ExecutionStatus.running, started_at=utcnow())
                .returning(Execution.id),
                execution_options={"synchronize_session": False},
            )
            if started is None:
                return
            await session.refresh(execution)
            await logs.append(session, execution, "Execution started", event="status", status="running")
            await _advance(session, execution, None, ExecutionStage.mapping)
        elif execution.stage is not ExecutionStage.mapping:
            return  # a duplicate delivery: mapping is done
        run = await load_bot_run(session, loaded.subject, loaded.bot, loaded.plan, settings=rt.settings, box=rt.box)
        caps = dict(execution.caps or {})
        parent_id = execution.parent_id

    items: list[tuple[NextPage, str | None]]
    if "reextract_from" in caps and parent_id is not None:
        items = await _snapshot_pages(rt, parent_id)
    elif "urls" in caps:
        items = [(NextPage(url, int(step)), None) for url, step in caps["urls"]]
    else:
        try:
            items = [(item, None) for item in await _discover(rt, execution_id, loaded.plan, run)]
        except EngineError as error:
            deliveries: list[uuid.UUID] = []
            async with session_scope(rt.sessionmaker) as session:
                failing = await session.get(Execution, execution_id, populate_existing=True)
                if failing is not None and failing.status not in FINISHED:
                    await _fail(session, failing, error.code.value, error.message)
                    # Destinations that listen to `execution.failed` hear of it here too.
                    deliveries = await export_planning.plan(session, failing, _sinks(loaded.plan), utcnow())
            for delivery_id in deliveries:
                rt.enqueue.deliver(delivery_id)
            return

    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        current = await session.get(Execution, execution_id, populate_existing=True)
        if current is None or current.status in FINISHED or current.stage is not ExecutionStage.mapping:
            return
        execution = current
        await _insert_pages(session, execution, items)
        pending = await _pending_pages(session, execution)
        execution.urls_found = len(pending)
        await logs.append(
            session, execution, f"Found {len(pending)} page(s) to scrape", event="mapped", urls=len(pending)
        )
        if not await _advance(session, execution, ExecutionStage.mapping, ExecutionStage.scraping):
            return
        sends.scrape(execution, pending, rt.settings.scrape_batch_size)
    sends.send()


async def _discover(rt: Runtime, execution_id: uuid.UUID, plan: Plan, run: BotRun) -> list[NextPage]:
    """The execution's first pages: the Start URLs, widened by the `map` step (Firecrawl's map for a bot that
    fetches through Firecrawl)."""
    options = plan.map_options
    if options is None:
        return [NextPage(url, 0) for url in plan.start_urls]
    fetcher = await rt.fetchers.get(execution_id, lambda: _fetcher(rt, run))  # batches here reuse it
    if isinstance(fetcher, FirecrawlFetcher):
        found = await fetcher.discover(plan.start_urls, options)
    else:
        found = await discover(fetcher, plan.start_urls, options)
    return [NextPage(item.url, 0) for item in found]


def _fetcher(rt: Runtime, run: BotRun) -> HttpFetcher | FirecrawlFetcher:
    """The bot's fetcher, with the worker's shared site limits and TLS context."""
    options = dict(run.options)
    if rt.ssl_context is not None:
        options.setdefault("verify", rt.ssl_context)
    return fetcher_for(rt.settings, run.fetch, limiter=rt.limiter, **options)


async def _snapshot_pages(rt: Runtime, source_id: uuid.UUID) -> list[tuple[NextPage, str | None]]:
    async with session_scope(rt.sessionmaker) as session:
        rows = await session.execute(
            select(Page.url, Page.step_index, Page.snapshot_key)
            .where(Page.execution_id == source_id, Page.status == PageStatus.done, Page.snapshot_key.is_not(None))
            .order_by(Page.id)
        )
        return [(NextPage(url, step), key) for url, step, key in rows]


# --- scrape ---------------------------------------------------------------------------------------------------


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
    """The page's HTML, stored under `snapshot_key` when the page is recorded."""


async def scrape_stage(rt: Runtime, execution_id: uuid.UUID, page_ids: list[uuid.UUID]) -> None:
    async with session_scope(rt.sessionmaker) as session:
        loaded = await _load(session, execution_id)
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
    recorder = _Recorder(rt, execution_id)

    async with contextlib.AsyncExitStack() as stack:
        fetcher: Any
        if reextract_from:
            fetcher = SnapshotFetcher(rt.artifacts, snapshots)
            rendering = Rendering("http")
        else:
            fetcher = await rt.fetchers.get(execution_id, lambda: _fetcher(rt, run))
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
                done = _Done(page_id, result, snapshot_key(execution_id, page_id), result.html.encode())
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


class _Recorder:
    """Finished pages are written in groups (every `FLUSH_EVERY_PAGES` pages or `FLUSH_EVERY_SECONDS`), one
    group at a time: the live counters move while a batch runs, at a few statements per group, not per page."""

    def __init__(self, rt: Runtime, execution_id: uuid.UUID) -> None:
        self.rt, self.execution_id = rt, execution_id
        self.done: list[_Done] = []
        self.flushed_at = time.monotonic()
        self.flushing = False

    async def add(self, done: _Done) -> None:
        self.done.append(done)
        due = len(self.done) >= FLUSH_EVERY_PAGES or time.monotonic() - self.flushed_at > FLUSH_EVERY_SECONDS
        if due and not self.flushing:
            await self.flush()

    async def flush(self) -> None:
        self.flushing = True
        try:
            while self.done:
                group, self.done = self.done, []
                await _record_pages(self.rt, self.execution_id, group)
        finally:
            self.flushing, self.flushed_at = False, time.monotonic()


async def _pending_after_batch(rt: Runtime, execution_id: uuid.UUID) -> list[uuid.UUID]:
    async with rt.sessionmaker() as session:
        execution = await session.get(Execution, execution_id)
        return [] if execution is None else await _pending_pages(session, execution)


async def _pending_pages(session: AsyncSession, execution: Execution) -> list[uuid.UUID]:
    """The execution's pages not yet scraped, in id order."""
    ids = await session.scalars(
        select(Page.id)
        .where(Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.pending)
        .order_by(Page.id)
    )
    return list(ids)


async def _claim_next(rt: Runtime, execution_id: uuid.UUID, items: list[NextPage]) -> list[tuple[uuid.UUID, NextPage]]:
    """Pages a step led to (next pages, followed links): this batch takes those no other batch has."""
    async with session_scope(rt.sessionmaker) as session:
        execution = await session.get(Execution, execution_id)
        if execution is None:
            return []
        by_hash = {_url_hash(item.url): item for item in items}
        added = await _insert_pages(session, execution, ((item, None) for item in items))
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


async def _record_pages(rt: Runtime, execution_id: uuid.UUID, group: list[_Done]) -> None:
    """Store a group of finished pages' snapshots, then write the pages and the execution's counters in one
    transaction (one statement for all the pages)."""
    snapshots = [(item.snapshot_key, item.snapshot) for item in group if item.snapshot_key and item.snapshot]
    if snapshots:
        await rt.artifacts.put_many(snapshots)
    now = utcnow()
    async with session_scope(rt.sessionmaker) as session:
        execution = await session.get(Execution, execution_id)
        if execution is None:
            return
        # A page a duplicate batch recorded first counts once: only pages still pending are written, and they
        # stay locked until the commit.
        pending = set(
            await session.scalars(
                select(Page.id)
                .where(Page.id.in_([item.page_id for item in group]), Page.status == PageStatus.pending)
                .with_for_update()
            )
        )
        recorded = [item for item in group if item.page_id in pending]
        if not recorded:
            return
        await session.execute(_RECORD_PAGE, [_page_values(item, now) for item in recorded])
        ok = sum(1 for item in recorded if item.result.ok)
        failed = len(recorded) - ok
        count_pages("done", ok)
        count_pages("failed", failed)
        await session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(pages_done=Execution.pages_done + ok, pages_failed=Execution.pages_failed + failed, updated_at=now)
        )
        for item in recorded:
            error = item.result.error
            if error is not None:
                await logs.append(
                    session,
                    execution,
                    f"{item.result.url}: {error.message}",
                    event="page_failed",
                    level="warning",
                    url=item.result.url,
                    code=error.code.value,
                )


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


# --- extract --------------------------------------------------------------------------------------------------


async def extract_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    """The chord's body: once no page is pending, LLM extraction where the plan has it."""
    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        loaded = await _load(session, execution_id)
        if loaded is None:
            return
        execution = loaded.execution
        if execution.stage is ExecutionStage.scraping:
            if await _pending_pages(session, execution):
                return  # a batch is still out (the watchdog restarts lost ones, with this stage after them)
            if not await _advance(session, execution, ExecutionStage.scraping, ExecutionStage.extracting):
                return
        elif execution.stage is not ExecutionStage.extracting:
            return
        llm_steps = [step for step in loaded.plan.post_steps if isinstance(step.data, LlmExtractData)]
        if llm_steps:
            run = await load_bot_run(session, loaded.subject, loaded.bot, loaded.plan, settings=rt.settings, box=rt.box)
            pages = (
                await session.execute(
                    select(Page.id, Page.url, Page.snapshot_key, Page.rows).where(
                        Page.org_id == execution.org_id,
                        Page.execution_id == execution.id,
                        Page.status == PageStatus.done,
                        Page.snapshot_key.is_not(None),
                    )
                )
            ).all()
            tokens = server_tokens = 0
            for page_id, url, key, rows in pages:
                server_key = run.llm is not None and run.llm.paid_by == "server"
                if reached := await token_limit(session, execution, tokens, server_key=server_key):
                    await stop(session, execution, *reached)  # the pages left keep their selector rows
                    break
                html = (await rt.artifacts.get(key)).decode("utf-8", "replace")
                merged = list(rows or [])
                for step in llm_steps:
                    assert isinstance(step.data, LlmExtractData)
                    result = await llm_extract(html, url, step.node_id, step.data, run)
                    if result.charge is not None:
                        spent = result.charge.prompt_tokens + result.charge.completion_tokens
                        tokens += spent
                        server_tokens += spent if result.charge.paid_by == "server" else 0
                    merged = merge_llm_rows(merged, result.rows)
                await session.execute(update(Page).where(Page.id == page_id).values(rows=merged))
            # Every call is counted once (answers from the cache cost nothing), so a restarted stage adds up.
            execution.llm_tokens += tokens
            await add_usage(session, execution.org_id, utcnow(), llm_tokens=server_tokens)
            await logs.append(
                session,
                execution,
                f"AI extraction on {len(pages)} page(s), {tokens} tokens",
                event="extracted",
                tokens=tokens,
            )
        if await _advance(session, execution, ExecutionStage.extracting, ExecutionStage.saving):
            sends.stage("save", execution)
    sends.send()


# --- save -----------------------------------------------------------------------------------------------------


async def _previous_rows(session: AsyncSession, execution: Execution) -> dict[str, dict[str, Any]]:
    """The bot's latest row per key before this execution (across all earlier executions)."""
    ranked = (
        select(
            ResultRow.row_key,
            ResultRow.data,
            func.row_number()
            .over(partition_by=ResultRow.row_key, order_by=(ResultRow.created_at.desc(), ResultRow.id.desc()))
            .label("rank"),
        )
        .where(
            ResultRow.org_id == execution.org_id,
            ResultRow.bot_id == execution.bot_id,
            ResultRow.execution_id != execution.id,
        )
        .subquery()
    )
    rows = await session.execute(select(ranked.c.row_key, ranked.c.data).where(ranked.c.rank == 1))
    return dict(rows.tuples().all())


async def save_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        loaded = await _load(session, execution_id)
        if loaded is None or loaded.execution.stage is not ExecutionStage.saving:
            return
        execution = loaded.execution
        pages = await session.execute(
            select(Page.id, Page.rows)
            .where(Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.done)
            .order_by(Page.id)
        )
        previous = await _previous_rows(session, execution)
        post_steps = tuple(step for step in loaded.plan.post_steps if not isinstance(step.data, LlmExtractData))
        dedupe = next((step.data for step in post_steps if isinstance(step.data, DedupeData)), None)
        keys = dedupe.keys if dedupe is not None else None
        records: dict[str, dict[str, Any]] = {}
        counts: Counter[str] = Counter()
        now = utcnow()
        for page_id, rows in pages:
            # Page by page (so each row remembers its page); a key seen on an earlier page is the same row.
            for row in post_process(rows or [], post_steps, previous.get):
                key = row_key(row, keys)
                if key in records:
                    continue
                old = previous.get(key)
                # Judged by the diff, so a field added to the bot that finds nothing (null) changes no row.
                diff = row_diff(old, row) if old is not None else {}
                status = ChangeStatus.new if old is None else ChangeStatus.changed if diff else ChangeStatus.unchanged
                counts[status.value] += 1
                records[key] = {
                    "id": uuid7(),
                    "org_id": execution.org_id,
                    "bot_id": execution.bot_id,
                    "execution_id": execution.id,
                    "page_id": page_id,
                    "row_key": key,
                    "data": row,
                    "change_status": status,
                    "diff": diff,
                    "created_at": now,
                    "updated_at": now,
                }
        if records:
            await session.execute(
                _insert(session, ResultRow.__table__).on_conflict_do_nothing(
                    index_elements=["org_id", "execution_id", "row_key"]
                ),
                list(records.values()),
            )
        execution.rows_count = len(records)
        count_rows(len(records))
        await logs.append(
            session,
            execution,
            f"Saved {len(records)} row(s): {counts['new']} new, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged",
            event="saved",
            rows=len(records),
            new=counts["new"],
            changed=counts["changed"],
            unchanged=counts["unchanged"],
        )
        if await _advance(session, execution, ExecutionStage.saving, ExecutionStage.exporting):
            sends.stage("export", execution)
    sends.send()


# --- export and finish ----------------------------------------------------------------------------------------


async def export_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    """Finish the execution (its status is the scrape's alone) and queue one delivery per export step; a bot
    that reviews its rows first waits in `awaiting_review` (the review API sends this stage again)."""
    deliveries: list[uuid.UUID] = []
    async with session_scope(rt.sessionmaker) as session:
        loaded = await _load(session, execution_id)
        if loaded is None or loaded.execution.stage is not ExecutionStage.exporting:
            return
        execution = loaded.execution
        if execution.status is not ExecutionStatus.running or await export_planning.hold(
            session, execution, loaded.bot
        ):
            return
        if await _finish(session, execution):
            deliveries = await export_planning.plan(session, execution, _sinks(loaded.plan), utcnow())
    for delivery_id in deliveries:
        rt.enqueue.deliver(delivery_id)


def _sinks(plan: Plan) -> list[tuple[uuid.UUID, str]]:
    """The plan's export steps: (destination id, which rows) each."""
    return [(step.data.destination_id, step.data.rows) for step in plan.sinks if isinstance(step.data, ExportData)]


async def _finish(session: AsyncSession, execution: Execution) -> bool:
    """The final status, once (a duplicate export task finds it finished: False), and the period's usage."""
    now = utcnow()
    claimed = await session.scalar(
        update(Execution)
        .where(Execution.id == execution.id, Execution.status == ExecutionStatus.running)
        .values(finished_at=now)
        .returning(Execution.id),
        execution_options={"synchronize_session": False},
    )
    if claimed is None:
        return False
    await add_usage(session, execution.org_id, now, executions=1, pages=execution.pages_done, rows=execution.rows_count)
    failed, done = execution.pages_failed, execution.pages_done
    if done == 0 and failed > 0:
        codes = Counter(
            await session.scalars(
                select(Page.error_code).where(
                    Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.failed
                )
            )
        )
        code = codes.most_common(1)[0][0] or ErrorCode.NAVIGATION_ERROR.value
        execution.status = ExecutionStatus.failed
        execution.error_code = code
        execution.error_message = (
            f"Every page failed ({failed}); the most common error was {code}. See the failed pages."
        )
    elif failed:
        execution.status = ExecutionStatus.partially_succeeded
        execution.error_code = "PAGES_FAILED"
        execution.error_message = (
            f"{failed} of {failed + done} page(s) failed after retries; retry them from the execution."
        )
    else:
        execution.status = ExecutionStatus.succeeded
    settle(execution)
    execution.finished_at = now
    _time_stage(execution, execution.stage, None)
    await logs.append(
        session,
        execution,
        f"Execution {execution.status.value}",
        event="status",
        level="warning" if failed else "info",
        status=execution.status.value,
    )
    return True


_STAGE_TASKS = {ExecutionStage.extracting: "extract", ExecutionStage.saving: "save", ExecutionStage.exporting: "export"}

# --- watchdog -------------------------------------------------------------------------------------------------


async def watchdog(rt: Runtime) -> list[uuid.UUID]:
    """Restart stages whose worker died: an execution with no progress for EXECUTION_STALL_SECONDS gets its
    current stage enqueued again (stages are idempotent; pages already done are not fetched twice)."""
    stalled_before = utcnow() - timedelta(seconds=rt.settings.execution_stall_seconds)
    restarted: list[uuid.UUID] = []
    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        executions = (
            await session.scalars(
                select(Execution)
                .where(
                    Execution.status.in_((ExecutionStatus.queued, ExecutionStatus.running)),
                    Execution.updated_at < stalled_before,
                )
                .limit(100)
            )
        ).all()
        for execution in executions:
            stage = execution.stage
            if execution.status is ExecutionStatus.queued or stage in (None, ExecutionStage.mapping):
                sends.stage("map", execution)
            elif stage is ExecutionStage.scraping:
                sends.scrape(execution, await _pending_pages(session, execution), rt.settings.scrape_batch_size)
            else:
                sends.stage(_STAGE_TASKS[stage], execution)
            execution.updated_at = utcnow()
            await logs.append(
                session,
                execution,
                f"No progress for {rt.settings.execution_stall_seconds:g} s: "
                f"restarted the {stage.value if stage else 'mapping'} stage",
                event="restarted",
                level="warning",
            )
            restarted.append(execution.id)
    sends.send()
    return restarted
