"""An execution's log: lines in `execution_logs` (what the events stream and the API show) and in structlog."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionLog

logger = structlog.get_logger("scrapeflow.execution")


async def append(
    session: AsyncSession,
    execution: Execution,
    message: str,
    *,
    event: str = "log",
    level: str = "info",
    **data: Any,
) -> ExecutionLog:
    """Add a line. Taking the next `seq` locks the execution's row until commit, so lines become visible in
    `seq` order and a reader resuming after `seq` n never misses one."""
    seq = await session.scalar(
        update(Execution)
        .where(Execution.id == execution.id)
        .values(log_seq=Execution.log_seq + 1)
        .returning(Execution.log_seq),
        execution_options={"synchronize_session": False},
    )
    assert seq is not None
    line = ExecutionLog(
        org_id=execution.org_id,
        execution_id=execution.id,
        seq=seq,
        level=level,
        event=event,
        message=message,
        data=data,
        created_at=utcnow(),
    )
    session.add(line)
    getattr(logger, level if level in {"debug", "info", "warning", "error"} else "info")(
        message,
        event_type=event,
        execution_id=str(execution.id),
        bot_id=str(execution.bot_id),
        org_id=str(execution.org_id),
        **{key: value for key, value in data.items() if key not in {"event", "level"}},
    )
    return line


def bound(execution_id: uuid.UUID, bot_id: uuid.UUID, org_id: uuid.UUID) -> None:
    """Bind the execution's ids into every log line of this task (structlog context variables)."""
    structlog.contextvars.bind_contextvars(execution_id=str(execution_id), bot_id=str(bot_id), org_id=str(org_id))
