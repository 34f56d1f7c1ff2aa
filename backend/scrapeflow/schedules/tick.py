"""What beat runs: start due schedules, open each month's usage counters, delete expired executions.

Each function takes a session factory and the current time and opens its own transactions. Several beats
may run them at once: on PostgreSQL the rows one claims are locked with FOR UPDATE SKIP LOCKED, so the
others pass over them instead of waiting (SQLite serves a single machine, which runs one beat).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVarTuple

import structlog
from sqlalchemy import ColumnElement, Executable, Select, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.billing.usage import period_start
from scrapeflow.kit.errors import AppError
from scrapeflow.kit.ids import uuid7
from scrapeflow.models import Execution, Organization, Schedule, UsageCounter
from scrapeflow.schedules.cron import CronError, CronSchedule

log = structlog.get_logger(__name__)

StartExecution = Callable[[AsyncSession, Schedule], Awaitable[None]]
"""Creates the schedule's execution (trigger `schedule`) in the given session; enqueues it after commit."""
DeleteArtifacts = Callable[[list[uuid.UUID]], Awaitable[None]]
"""Removes the stored artifacts (page snapshots, screenshots, exports) of these executions."""

SCHEDULE_BATCH = 100
EXECUTION_BATCH = 200
ORGANIZATION_BATCH = 1000

Columns = TypeVarTuple("Columns")


def _claim(session: AsyncSession, statement: Select[*Columns]) -> Select[*Columns]:
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


async def fire_due_schedules(
    session_factory: async_sessionmaker[AsyncSession],
    now: datetime,
    start: StartExecution,
    *,
    batch_size: int = SCHEDULE_BATCH,
) -> list[uuid.UUID]:
    """Start every active schedule whose next run is due, once; returns the ids of those started.

    Each schedule then moves to its first run strictly after `now`: after downtime a schedule that missed
    several runs starts once, not once per missed run. A schedule whose start is refused (an invalid
    workflow, a quota) is logged and skipped, and moves on all the same. One transaction per batch.
    """
    started: list[uuid.UUID] = []
    while True:
        async with session_factory() as session, session.begin():
            due = _claim(
                session,
                select(Schedule)
                .where(Schedule.is_active.is_(True), Schedule.next_run_at <= now)
                .order_by(Schedule.next_run_at, Schedule.id)
                .limit(batch_size),
            )
            schedules = list(await session.scalars(due))
            for schedule in schedules:
                # Read before `start`, whose savepoint rollback may expire what it touched.
                schedule_id, next_run = schedule.id, _next_run(schedule, now)
                if await _start_one(session, schedule, start):
                    schedule.last_run_at = now
                    started.append(schedule_id)
                schedule.next_run_at = next_run
        if len(schedules) < batch_size:
            return started


async def _start_one(session: AsyncSession, schedule: Schedule, start: StartExecution) -> bool:
    """Run `start` in a savepoint, so a refusal leaves nothing half-written and the batch goes on."""
    context = {"schedule_id": str(schedule.id), "bot_id": str(schedule.bot_id), "org_id": str(schedule.org_id)}
    try:
        async with session.begin_nested():
            await start(session, schedule)
    except AppError as exc:
        log.warning("schedule_skipped", reason=exc.code, message=exc.message, **context)
        return False
    except Exception:
        log.exception("schedule_start_failed", **context)
        return False
    log.info("schedule_started", **context)
    return True


def _next_run(schedule: Schedule, now: datetime) -> datetime | None:
    try:
        return CronSchedule.load(schedule.cron_expression, schedule.timezone).next_after(now)
    except CronError as exc:  # validated when saved; only a changed tz database gets here
        log.error("schedule_unloadable", schedule_id=str(schedule.id), message=exc.message)
        return None


async def reset_monthly_usage(
    session_factory: async_sessionmaker[AsyncSession], now: datetime, *, batch_size: int = ORGANIZATION_BATCH
) -> int:
    """Give every organization a zeroed usage counter for the month `now` falls in; returns how many were opened.

    Counters are kept per period (`usage_counters.period_start`), so a new month starts from zero while past
    months stay as history. Running it again in the same month changes nothing: it only adds counters that
    are missing, and never touches one that usage has already created or incremented.
    """
    period = period_start(now)
    opened = 0
    while True:
        async with session_factory() as session, session.begin():
            has_counter = select(UsageCounter.id).where(
                UsageCounter.org_id == Organization.id, UsageCounter.period_start == period
            )
            org_ids = list(
                await session.scalars(
                    select(Organization.id).where(~has_counter.exists()).order_by(Organization.id).limit(batch_size)
                )
            )
            if org_ids:
                counters = [
                    {"id": uuid7(), "org_id": org_id, "period_start": period, "created_at": now, "updated_at": now}
                    for org_id in org_ids
                ]
                await session.execute(_insert_missing(session), counters)
        opened += len(org_ids)
        if len(org_ids) < batch_size:
            return opened


def _insert_missing(session: AsyncSession) -> Executable:
    """INSERT that leaves alone a counter a concurrent writer created first (unique org_id, period_start)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(UsageCounter).on_conflict_do_nothing(index_elements=["org_id", "period_start"])
    return sqlite.insert(UsageCounter).on_conflict_do_nothing(index_elements=["org_id", "period_start"])


async def delete_expired_executions(
    session_factory: async_sessionmaker[AsyncSession],
    now: datetime,
    retention_days: int,
    delete_artifacts: DeleteArtifacts,
    *,
    batch_size: int = EXECUTION_BATCH,
    of_organizations: ColumnElement[bool] | None = None,
) -> int:
    """Delete executions that finished more than `retention_days` ago; returns how many.

    Their logs, pages and rows go with them (ON DELETE CASCADE). Per batch, `delete_artifacts` removes the
    stored snapshots first and the rows are deleted in the same transaction: if removing artifacts fails the
    batch is kept and tried again next time (so `delete_artifacts` must tolerate artifacts already gone).
    Executions still running (no `finished_at`) are never deleted. `of_organizations` (a condition on
    `Organization`) limits it to some organizations, e.g. those of one plan.
    """
    cutoff = now - timedelta(days=retention_days)
    deleted = 0
    while True:
        async with session_factory() as session, session.begin():
            statement = select(Execution.id).where(Execution.finished_at.is_not(None), Execution.finished_at < cutoff)
            if of_organizations is not None:
                statement = statement.where(Execution.org_id.in_(select(Organization.id).where(of_organizations)))
            expired = _claim(session, statement.order_by(Execution.finished_at, Execution.id).limit(batch_size))
            ids = list(await session.scalars(expired))
            if ids:
                await delete_artifacts(ids)
                await session.execute(delete(Execution).where(Execution.id.in_(ids)))
                log.info("executions_expired", count=len(ids), retention_days=retention_days)
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted
