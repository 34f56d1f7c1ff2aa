"""The watchdog: stages whose worker died are sent again (stages are idempotent)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from scrapeflow.db import session_scope
from scrapeflow.executions import logs
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStage, ExecutionStatus
from scrapeflow.pipeline.stages.common import Runtime, Sends, pending_pages

_STAGE_TASKS = {ExecutionStage.extracting: "extract", ExecutionStage.saving: "save", ExecutionStage.exporting: "export"}


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
                sends.scrape(execution, await pending_pages(session, execution), rt.settings.scrape_batch_size)
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
