"""Executions: start one (now, on a schedule, as a retry or a re-extraction), read, cancel; results and rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.billing import quotas
from scrapeflow.bots import service as bots_service
from scrapeflow.config import Settings
from scrapeflow.db import after_commit
from scrapeflow.executions import logs
from scrapeflow.executions.schemas import ExecutionFilter, RowFilter
from scrapeflow.kit.errors import Conflict, NotFound, Unprocessable
from scrapeflow.kit.pagination import PageParams, SortDirection, paginate
from scrapeflow.kit.stamps import mark_changed, org_stamp
from scrapeflow.kit.time import utcnow
from scrapeflow.models import (
    Execution,
    ExecutionLog,
    ExecutionStatus,
    ExecutionTrigger,
    Page,
    PageStatus,
    ResultRow,
)
from scrapeflow.pipeline.stages import FINISHED

Start = Callable[[Execution], Awaitable[Any]]
"""Hands a committed execution to the workers (pipeline.dispatch.Dispatcher.start)."""


async def start(
    session: AsyncSession,
    subject: AuthSubject,
    bot_id: uuid.UUID,
    dispatch: Start | None,
    settings: Settings,
    *,
    trigger: ExecutionTrigger = ExecutionTrigger.manual,
    schedule_id: uuid.UUID | None = None,
    parent: Execution | None = None,
    caps: dict[str, Any] | None = None,
    limits: dict[str, int | None] | None = None,
) -> Execution:
    """Create a queued execution of the bot's current version; `dispatch` enqueues it once the transaction commits
    (None: the caller enqueues it after its own commit, as the schedules tick does).

    The organization's plan must allow it (features, monthly quotas, concurrency); `limits` are the caller's
    caps (max_pages, max_tokens, max_cost), which the execution carries with the plan's page quota."""
    bot = await bots_service.get(session, subject, bot_id)
    workflow = bots_service.compile_or_422(bot.workflow_json)
    now = utcnow()
    plan = await quotas.plan_of(session, settings, subject.org_id, now)
    quotas.check_features(plan, workflow, str(bot.settings.get("render", "auto")))
    await quotas.check_execution(session, plan, subject.org_id, now)
    execution = Execution(
        org_id=subject.org_id,
        bot_id=bot.id,
        bot_version=bot.version,
        schedule_id=schedule_id,
        parent_id=parent.id if parent else None,
        triggered_by_id=subject.user_id,
        trigger=trigger,
        status=ExecutionStatus.queued,
        priority=plan.priority,
        caps={**(caps or {}), **quotas.execution_caps(settings, plan, workflow, limits or {})},
        stage_timings={},
        task_ids=[],
    )
    session.add(execution)
    await session.flush()
    await logs.append(session, execution, f"Queued ({trigger.value})", event="status", status="queued")
    mark_changed(session, org_stamp(subject.org_id))  # the bot list shows each bot's last run

    if dispatch is not None:
        after_commit(session, lambda: dispatch(execution))
    return execution


async def get(session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID) -> Execution:
    execution = await session.scalar(scoped(select(Execution), subject, Execution).where(Execution.id == execution_id))
    if execution is None:
        raise NotFound("Execution not found.")
    return execution


async def list_executions(
    session: AsyncSession, subject: AuthSubject, params: ExecutionFilter
) -> tuple[list[Execution], str | None]:
    statement = scoped(select(Execution), subject, Execution)
    if params.bot_id:
        statement = statement.where(Execution.bot_id == params.bot_id)
    if params.status:
        statement = statement.where(Execution.status == params.status)
    if params.trigger:
        statement = statement.where(Execution.trigger == params.trigger)
    if params.since:
        statement = statement.where(Execution.created_at >= params.since)
    if params.until:
        statement = statement.where(Execution.created_at < params.until)
    return await paginate(session, statement, params, sort=Execution.created_at, tiebreak=Execution.id)


async def recent_logs(session: AsyncSession, execution: Execution, limit: int = 200) -> list[ExecutionLog]:
    lines = await session.scalars(
        select(ExecutionLog)
        .where(ExecutionLog.org_id == execution.org_id, ExecutionLog.execution_id == execution.id)
        .order_by(ExecutionLog.seq.desc())
        .limit(limit)
    )
    return list(reversed(lines.all()))


async def dead_letters(session: AsyncSession, execution: Execution, limit: int = 200) -> list[Page]:
    pages = await session.scalars(
        select(Page)
        .where(Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.failed)
        .order_by(Page.id)
        .limit(limit)
    )
    return list(pages)


async def cancel(session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID, revoke: Start) -> Execution:
    """Stop an execution: queued work is revoked, running batches stop at their next page."""
    execution = await get(session, subject, execution_id)
    stopped = await session.scalar(
        update(Execution)
        .where(Execution.id == execution.id, Execution.status.in_((ExecutionStatus.queued, ExecutionStatus.running)))
        .values(status=ExecutionStatus.cancelled, finished_at=utcnow(), updated_at=utcnow())
        .returning(Execution.id),
        execution_options={"synchronize_session": False},
    )
    if stopped is None:
        raise Conflict(
            f"This execution has already {execution.status.value.replace('_', ' ')}; only a queued or running "
            "execution can be cancelled.",
            code="execution_finished",
        )
    mark_changed(session, org_stamp(subject.org_id))  # the bot list shows each bot's last run
    await session.refresh(execution)
    await logs.append(session, execution, "Cancelled", event="status", status="cancelled")
    after_commit(session, lambda: revoke(execution))
    return execution


async def retry(
    session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID, dispatch: Start, settings: Settings
) -> Execution:
    """A new execution of only the pages that failed for good."""
    source = await get(session, subject, execution_id)
    if source.status not in FINISHED:
        raise Conflict("The execution is still running; retry it once it has finished.", code="execution_running")
    failed = (
        await session.execute(
            select(Page.url, Page.step_index)
            .where(Page.org_id == source.org_id, Page.execution_id == source.id, Page.status == PageStatus.failed)
            .order_by(Page.id)
        )
    ).all()
    if not failed:
        raise Unprocessable("No page of this execution failed; there is nothing to retry.", code="nothing_to_retry")
    return await start(
        session,
        subject,
        source.bot_id,
        dispatch,
        settings,
        trigger=ExecutionTrigger.retry,
        parent=source,
        caps={"urls": [[url, step] for url, step in failed]},
    )


async def reextract(
    session: AsyncSession,
    subject: AuthSubject,
    bot_id: uuid.UUID,
    source_id: uuid.UUID,
    dispatch: Start,
    settings: Settings,
) -> Execution:
    """Re-run extraction with the bot's current fields over a past execution's stored pages (nothing fetched)."""
    source = await get(session, subject, source_id)
    if source.bot_id != bot_id:
        raise NotFound("Execution not found.")
    if source.status not in FINISHED:
        raise Conflict("The execution is still running; re-extract once it has finished.", code="execution_running")
    kept = await session.scalar(
        select(func.count())
        .select_from(Page)
        .where(Page.org_id == source.org_id, Page.execution_id == source.id, Page.snapshot_key.is_not(None))
    )
    if not kept:
        raise Unprocessable(
            "This execution kept no page snapshots (or they were deleted with age); run the bot instead.",
            code="no_snapshots",
        )
    return await start(
        session,
        subject,
        bot_id,
        dispatch,
        settings,
        trigger=ExecutionTrigger.reextract,
        parent=source,
        caps={"reextract_from": str(source.id)},
    )


async def result_rows(
    session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID, params: PageParams
) -> tuple[list[ResultRow], str | None]:
    execution = await get(session, subject, execution_id)
    statement = scoped(select(ResultRow), subject, ResultRow).where(ResultRow.execution_id == execution.id)
    # Oldest first, in the order downloads give them.
    return await paginate(
        session, statement, params, sort=ResultRow.id, tiebreak=ResultRow.id, direction=SortDirection.asc
    )


async def latest_rows(
    session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, params: RowFilter
) -> tuple[list[ResultRow], str | None]:
    """The bot's rows as of its latest executions: for each key, the newest version."""
    await bots_service.get(session, subject, bot_id)
    ranked = (
        select(
            ResultRow.id,
            func.row_number()
            .over(partition_by=ResultRow.row_key, order_by=(ResultRow.created_at.desc(), ResultRow.id.desc()))
            .label("rank"),
        )
        .where(ResultRow.org_id == subject.org_id, ResultRow.bot_id == bot_id)
        .subquery()
    )
    latest = select(ranked.c.id).where(ranked.c.rank == 1)
    statement = scoped(select(ResultRow), subject, ResultRow).where(ResultRow.id.in_(latest))
    if params.change_status:
        statement = statement.where(ResultRow.change_status == params.change_status)
    return await paginate(session, statement, params, sort=ResultRow.id, tiebreak=ResultRow.id)


async def stream_rows(
    sessions: async_sessionmaker[AsyncSession], subject: AuthSubject, execution_id: uuid.UUID, batch: int = 500
) -> AsyncIterator[list[dict[str, Any]]]:
    """An execution's rows in batches, each read in its own short transaction (memory stays flat)."""
    after: uuid.UUID | None = None
    while True:
        async with sessions() as session:
            statement = (
                scoped(select(ResultRow.id, ResultRow.data), subject, ResultRow)
                .where(ResultRow.execution_id == execution_id)
                .order_by(ResultRow.id)
                .limit(batch)
            )
            if after is not None:
                statement = statement.where(ResultRow.id > after)
            rows = (await session.execute(statement)).all()
        if not rows:
            return
        after = rows[-1][0]
        yield [data for _, data in rows]
