"""The export stage: the execution's final status and usage, then one delivery per export step."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.quotas import settle
from scrapeflow.billing.usage import add_usage
from scrapeflow.db import session_scope
from scrapeflow.engine.errors import ErrorCode
from scrapeflow.executions import logs
from scrapeflow.exports import planning as export_planning
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStage, ExecutionStatus, Page, PageStatus
from scrapeflow.pipeline.stages.common import Runtime, announce, load, sinks, time_stage


async def export_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    """Finish the execution (its status is the scrape's alone) and queue one delivery per export step; a bot
    that reviews its rows first waits in `awaiting_review` (the review API sends this stage again)."""
    deliveries: list[uuid.UUID] = []
    async with session_scope(rt.sessionmaker) as session:
        loaded = await load(session, execution_id)
        if loaded is None or loaded.execution.stage is not ExecutionStage.exporting:
            return
        execution = loaded.execution
        if execution.status is not ExecutionStatus.running:
            return
        org_id = execution.org_id
        held = await export_planning.hold(session, execution, loaded.bot)  # now awaiting review
        finished = not held and await _finish(session, execution)
        if finished:
            deliveries = await export_planning.plan(session, execution, sinks(loaded.plan), utcnow())
    if held or finished:
        await announce(rt, org_id)
    for delivery_id in deliveries:
        rt.enqueue.deliver(delivery_id)


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
    time_stage(execution, execution.stage, None)
    await logs.append(
        session,
        execution,
        f"Execution {execution.status.value}",
        event="status",
        level="warning" if failed else "info",
        status=execution.status.value,
    )
    return True
