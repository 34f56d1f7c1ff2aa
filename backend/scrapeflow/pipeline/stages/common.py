"""What every stage shares: loading an execution, moving it between stages, the tasks it hands on, pages."""

from __future__ import annotations

import hashlib
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.billing.quotas import admit_pages
from scrapeflow.bots.fetchers import fetcher_for
from scrapeflow.bots.test_runs import BotRun
from scrapeflow.config import Settings
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.firecrawl import FirecrawlFetcher
from scrapeflow.engine.politeness import DomainLimiter
from scrapeflow.engine.steps import NextPage
from scrapeflow.engine.urls import normalise
from scrapeflow.executions import logs
from scrapeflow.kit.artifacts import ArtifactStore
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.ids import uuid7
from scrapeflow.kit.stamps import Stamps, org_stamp
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Bot, BotVersion, Execution, ExecutionStage, ExecutionStatus, Page, PageStatus, Role
from scrapeflow.observability.metrics import observe_stage
from scrapeflow.pipeline.fetchers import FetcherCache
from scrapeflow.workflow.compiler import validate
from scrapeflow.workflow.nodes import ExportData
from scrapeflow.workflow.plan import Plan

FINISHED = frozenset(
    {ExecutionStatus.succeeded, ExecutionStatus.partially_succeeded, ExecutionStatus.failed, ExecutionStatus.cancelled}
)
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


SPREAD_BATCHES = 8
"""A crawl is cut into at least this many batches when it can be, so even a small one is shared by the fleet."""
SMALLEST_BATCH = 10


def batch_size(pages: int, most: int) -> int:
    """Pages per scrape batch: `most` (SCRAPE_BATCH_SIZE) for a big crawl, where fewer, larger batches cost less
    per page (each batch loads its execution, plan and pages and passes through the broker), and smaller for a
    small one, down to 10 pages (or `most`, if smaller), so that SPREAD_BATCHES batches can run side by side."""
    most = max(1, most)
    return max(min(SMALLEST_BATCH, most), min(most, -(-pages // SPREAD_BATCHES)))


class Sends:
    """Tasks a stage hands on, sent only once its transaction has committed (a task that ran before the commit
    would not see the stage it was sent for)."""

    def __init__(self, enqueue: Enqueuer) -> None:
        self.enqueue = enqueue
        self.pending: list[Callable[[], None]] = []

    def scrape(self, execution: Execution, page_ids: Sequence[uuid.UUID | str], size: int) -> None:
        ids = [str(page_id) for page_id in page_ids]
        size = batch_size(len(ids), size)
        batches = [ids[i : i + size] for i in range(0, len(ids), size)]
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
    stamps: Stamps | None = None
    """The change stamps (scale-out mode): an execution's status change renews its organization's."""


async def announce(rt: Runtime, org_id: uuid.UUID) -> None:
    """After a commit that changed an execution's status: lists cached under the organization's stamp (the bot
    list shows each bot's last run) are answered afresh."""
    if rt.stamps is not None:
        await rt.stamps.renew([org_stamp(org_id)])


@dataclass
class Loaded:
    execution: Execution
    bot: Bot
    plan: Plan
    subject: AuthSubject


def worker_subject(execution: Execution) -> AuthSubject:
    """The execution acts for its organization with an editor's rights (editors run bots)."""
    return AuthSubject(execution.org_id, Role.editor, execution.triggered_by_id, None, WORKER_CLIENT)


async def load(session: AsyncSession, execution_id: uuid.UUID, *, lock: bool = False) -> Loaded | None:
    """The execution, its bot and the plan of the bot version it runs; None when it is over or gone. With `lock`,
    the execution's row stays locked until the transaction ends (a duplicate of the task waits, then finds the
    stage moved on)."""
    execution = await session.get(Execution, execution_id, with_for_update=lock, populate_existing=True)
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
        await fail(session, execution, "INVALID_WORKFLOW", f"The bot's workflow is invalid: {issues[0].message}")
        return None
    logs.bound(execution.id, execution.bot_id, execution.org_id)
    return Loaded(execution, bot, plan, worker_subject(execution))


async def advance(
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
    time_stage(execution, came_from, to)
    await logs.append(session, execution, f"Stage: {to.value}", event="stage", stage=to.value)
    return True


def time_stage(execution: Execution, came_from: ExecutionStage | None, to: ExecutionStage | None) -> None:
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


async def fail(session: AsyncSession, execution: Execution, code: str, message: str) -> None:
    execution.status = ExecutionStatus.failed
    execution.error_code = code
    execution.error_message = message
    execution.finished_at = utcnow()
    time_stage(execution, execution.stage, None)
    await logs.append(session, execution, message, event="status", level="error", status="failed", code=code)


def snapshot_pack(execution_id: uuid.UUID) -> str:
    """Where a group of pages' snapshots is stored, as one pack; everything of an execution lives under
    `executions/<id>/`."""
    return f"{execution_prefix(execution_id)}/snapshots/{uuid7()}.gz"


def execution_prefix(execution_id: uuid.UUID) -> str:
    return f"executions/{execution_id}"


def url_hash(url: str) -> str:
    return hashlib.sha256((normalise(url) or url).encode()).hexdigest()


async def insert_pages(
    session: AsyncSession, execution: Execution, items: Iterable[tuple[NextPage, str | None]]
) -> list[uuid.UUID]:
    """Add pending pages (a page already known to the execution is skipped); the ids of those added."""
    rows = []
    now = utcnow()
    seen: set[str] = set()
    for item, snapshot in items:
        digest = url_hash(item.url)
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
    if session.get_bind().dialect.name == "postgresql":
        return list(await session.scalars(_INSERT_PAGES_POSTGRESQL, _columns(execution, rows, now)))
    # One statement compiled once and sent for every row (SQLAlchemy batches it into multi-row INSERTs).
    table = Page.__table__
    added = await session.scalars(
        insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["org_id", "execution_id", "url_hash"])
        .returning(table.c.id),
        rows,
    )
    return list(added)


# On PostgreSQL the pages go as one array per column in a single short statement: a 2,000-page map spent most
# of its insert time splitting and sending SQLAlchemy's long multi-row INSERTs.
_INSERT_PAGES_POSTGRESQL = text(
    """
    INSERT INTO pages (id, org_id, execution_id, bot_id, url, url_hash, step_index, depth, status, attempts,
                       snapshot_key, created_at, updated_at)
    SELECT page.id, :org_id, :execution_id, :bot_id, page.url, page.url_hash, page.step_index, page.depth,
           :status, 0, page.snapshot_key, :now, :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:urls AS text[]), CAST(:hashes AS text[]),
                CAST(:steps AS integer[]), CAST(:depths AS integer[]), CAST(:snapshots AS text[]))
         AS page(id, url, url_hash, step_index, depth, snapshot_key)
    ON CONFLICT (org_id, execution_id, url_hash) DO NOTHING
    RETURNING id
    """
)


def _columns(execution: Execution, rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        "org_id": execution.org_id,
        "execution_id": execution.id,
        "bot_id": execution.bot_id,
        "status": PageStatus.pending.value,
        "now": now,
        "ids": [row["id"] for row in rows],
        "urls": [row["url"] for row in rows],
        "hashes": [row["url_hash"] for row in rows],
        "steps": [row["step_index"] for row in rows],
        "depths": [row["depth"] for row in rows],
        "snapshots": [row["snapshot_key"] for row in rows],
    }


def insert_for(session: AsyncSession, table: Any) -> Any:
    """INSERT … ON CONFLICT for the session's database."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table)


async def pending_pages(session: AsyncSession, execution: Execution) -> list[uuid.UUID]:
    """The execution's pages not yet scraped, in id order."""
    ids = await session.scalars(
        select(Page.id)
        .where(Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.pending)
        .order_by(Page.id)
    )
    return list(ids)


def sinks(plan: Plan) -> list[tuple[uuid.UUID, str]]:
    """The plan's export steps: (destination id, which rows) each."""
    return [(step.data.destination_id, step.data.rows) for step in plan.sinks if isinstance(step.data, ExportData)]


def fetcher_of(rt: Runtime, run: BotRun) -> HttpFetcher | FirecrawlFetcher:
    """The bot's fetcher, with the worker's shared site limits and TLS context."""
    options = dict(run.options)
    if rt.ssl_context is not None:
        options.setdefault("verify", rt.ssl_context)
    return fetcher_for(rt.settings, run.fetch, limiter=rt.limiter, **options)
