"""Live events of an execution as Server-Sent Events: log lines (stage changes, failures, status) with their
`seq` as the event id, so a client reconnecting with `Last-Event-ID` misses nothing, and the counters whenever
they move. The stream ends after the execution has finished and its last line was sent."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi.sse import format_sse_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.models import Execution, ExecutionLog
from scrapeflow.pipeline.stages import FINISHED

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0


async def stream(
    sessions: async_sessionmaker[AsyncSession], subject: AuthSubject, execution_id: uuid.UUID, after: int
) -> AsyncIterator[bytes]:
    counters: tuple[int, ...] | None = None
    quiet_since = time.monotonic()
    yield format_sse_event(retry=1000, comment="execution events")
    while True:
        async with sessions() as session:
            execution = await session.scalar(
                scoped(select(Execution), subject, Execution).where(Execution.id == execution_id)
            )
            if execution is None:
                return
            lines = (
                await session.scalars(
                    select(ExecutionLog)
                    .where(
                        ExecutionLog.org_id == execution.org_id,
                        ExecutionLog.execution_id == execution.id,
                        ExecutionLog.seq > after,
                    )
                    .order_by(ExecutionLog.seq)
                    .limit(500)
                )
            ).all()
        for line in lines:
            after = line.seq
            payload = {"message": line.message, "level": line.level, "at": line.created_at.isoformat(), **line.data}
            yield format_sse_event(event=line.event, id=str(line.seq), data_str=json.dumps(payload, default=str))
        now = (
            execution.urls_found,
            execution.pages_done,
            execution.pages_failed,
            execution.rows_count,
            execution.llm_tokens,
        )
        moved = now != counters
        if moved:
            counters = now
            data: dict[str, object] = dict(
                zip(("urls_found", "pages_done", "pages_failed", "rows", "llm_tokens"), now, strict=True)
            )
            data |= {"status": execution.status.value, "stage": execution.stage.value if execution.stage else None}
            yield format_sse_event(event="counters", data_str=json.dumps(data))
        if lines or moved:
            quiet_since = time.monotonic()
        if execution.status in FINISHED and len(lines) < 500:
            yield format_sse_event(event="end", data_str=json.dumps({"status": execution.status.value}))
            return
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield format_sse_event(comment="keep-alive")
        await asyncio.sleep(POLL_SECONDS)
