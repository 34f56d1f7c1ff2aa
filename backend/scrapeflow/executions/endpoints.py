"""HTTP endpoints for executions: start, list, read, cancel, retry, results, downloads and live events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from scrapeflow.auth.subject import BotsRead, BotsWrite
from scrapeflow.billing.endpoints import RunLimited
from scrapeflow.db import SessionDep, SessionsDep
from scrapeflow.executions import events, exports
from scrapeflow.executions import service as executions_service
from scrapeflow.executions.schemas import (
    DeadLetter,
    DownloadFormat,
    ExecuteOptions,
    Execution,
    ExecutionDetail,
    ExecutionFilter,
    LogLine,
    Reextract,
    ResultRow,
    RowFilter,
)
from scrapeflow.kit.http import SettingsDep
from scrapeflow.kit.pagination import Page, PageParamsDep
from scrapeflow.pipeline.dispatch import Dispatcher

router = APIRouter(prefix="/executions", tags=["executions"])
bot_router = APIRouter(prefix="/bots", tags=["executions"])


async def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


@bot_router.post(
    "/{bot_id}/execute", status_code=status.HTTP_202_ACCEPTED, summary="Run a bot now", dependencies=[RunLimited]
)
async def execute_bot(
    bot_id: uuid.UUID,
    subject: BotsWrite,
    session: SessionDep,
    dispatcher: DispatcherDep,
    settings: SettingsDep,
    body: ExecuteOptions | None = None,
) -> Execution:
    """Creates a queued execution and returns at once; follow it with `GET /executions/{id}/events`.

    Optional caps stop it cleanly (`partially_succeeded`, code `CAP_REACHED`) once reached; the plan's monthly
    page quota stops it the same way (`QUOTA_EXCEEDED`). 402 `QUOTA_EXCEEDED` when the month's executions or
    pages are used up or too many executions are running; 403 `PLAN_LIMIT` for a step the plan lacks."""
    limits = body.model_dump() if body is not None else None
    execution = await executions_service.start(session, subject, bot_id, dispatcher.start, settings, limits=limits)
    return Execution.model_validate(execution)


@bot_router.get("/{bot_id}/rows", summary="A bot's latest rows across executions")
async def latest_rows(
    bot_id: uuid.UUID, subject: BotsRead, session: SessionDep, params: Annotated[RowFilter, Query()]
) -> Page[ResultRow]:
    rows, cursor = await executions_service.latest_rows(session, subject, bot_id, params)
    return Page(items=[ResultRow.model_validate(row) for row in rows], next_cursor=cursor)


@bot_router.post(
    "/{bot_id}/reextract", status_code=status.HTTP_202_ACCEPTED, summary="Re-extract a past execution's pages"
)
async def reextract(
    bot_id: uuid.UUID,
    body: Reextract,
    subject: BotsWrite,
    session: SessionDep,
    dispatcher: DispatcherDep,
    settings: SettingsDep,
) -> Execution:
    """Runs the bot's current extraction over the stored snapshots of `execution_id` (no page is fetched);
    the new execution's rows carry `change_status` and a field-level `diff` against the earlier rows."""
    execution = await executions_service.reextract(
        session, subject, bot_id, body.execution_id, dispatcher.start, settings
    )
    return Execution.model_validate(execution)


@router.get("", summary="List executions")
async def list_executions(
    subject: BotsRead, session: SessionDep, params: Annotated[ExecutionFilter, Query()]
) -> Page[Execution]:
    items, cursor = await executions_service.list_executions(session, subject, params)
    return Page(items=[Execution.model_validate(item) for item in items], next_cursor=cursor)


@router.get("/{execution_id}", summary="Get an execution, with its log and failed pages")
async def get_execution(execution_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> ExecutionDetail:
    execution = await executions_service.get(session, subject, execution_id)
    lines = await executions_service.recent_logs(session, execution)
    failed = await executions_service.dead_letters(session, execution)
    return ExecutionDetail(
        **Execution.model_validate(execution).model_dump(),
        logs=[LogLine.model_validate(line) for line in lines],
        dead_letters=[DeadLetter.model_validate(page) for page in failed],
    )


@router.get("/{execution_id}/result", summary="An execution's rows")
async def get_result(
    execution_id: uuid.UUID, subject: BotsRead, session: SessionDep, params: PageParamsDep
) -> Page[ResultRow]:
    rows, cursor = await executions_service.result_rows(session, subject, execution_id, params)
    return Page(items=[ResultRow.model_validate(row) for row in rows], next_cursor=cursor)


@router.get(
    "/{execution_id}/download",
    summary="Download an execution's rows",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in exports.MEDIA_TYPES.values()}}},
)
async def download(
    execution_id: uuid.UUID,
    subject: BotsRead,
    session: SessionDep,
    sessions: SessionsDep,
    format: Annotated[DownloadFormat, Query(description="csv, json, jsonl or xlsx")] = DownloadFormat.csv,
) -> StreamingResponse:
    """Streamed in batches, so memory stays flat whatever the size."""
    execution = await executions_service.get(session, subject, execution_id)
    columns: list[str] = []
    if format in (DownloadFormat.csv, DownloadFormat.xlsx):
        columns = await exports.columns_of(executions_service.stream_rows(sessions, subject, execution.id))
    body = exports.render(format, columns, executions_service.stream_rows(sessions, subject, execution.id))
    filename = f"execution-{execution.id}.{format.value}"
    return StreamingResponse(
        body,
        media_type=exports.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{execution_id}/cancel", summary="Cancel an execution")
async def cancel(
    execution_id: uuid.UUID, subject: BotsWrite, session: SessionDep, dispatcher: DispatcherDep
) -> Execution:
    """Queued work is revoked; running scrape batches stop at their next page. 409 once it has finished."""
    execution = await executions_service.cancel(session, subject, execution_id, dispatcher.revoke)
    return Execution.model_validate(execution)


@router.post("/{execution_id}/retry", status_code=status.HTTP_202_ACCEPTED, summary="Retry the failed pages")
async def retry(
    execution_id: uuid.UUID, subject: BotsWrite, session: SessionDep, dispatcher: DispatcherDep, settings: SettingsDep
) -> Execution:
    """A new execution (trigger `retry`) of only the pages that failed for good."""
    execution = await executions_service.retry(session, subject, execution_id, dispatcher.start, settings)
    return Execution.model_validate(execution)


@router.get(
    "/{execution_id}/events",
    summary="Live events (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def execution_events(
    execution_id: uuid.UUID,
    subject: BotsRead,
    session: SessionDep,
    sessions: SessionsDep,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
) -> StreamingResponse:
    """Events `status`, `stage`, `mapped`, `page_failed`, `saved`, … (each with `id:` = its log `seq`),
    `counters` when they move, and `end`. Reconnecting with `Last-Event-ID` resumes after that line."""
    execution = await executions_service.get(session, subject, execution_id)
    return StreamingResponse(
        events.stream(sessions, subject, execution.id, last_event_id or 0),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
