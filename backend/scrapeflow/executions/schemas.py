"""Request and response bodies of executions, their results and rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from scrapeflow.kit.pagination import PageParams
from scrapeflow.kit.schemas import InputSchema, Schema
from scrapeflow.models import ChangeStatus, ExecutionStage, ExecutionStatus, ExecutionTrigger, ReviewStatus


class ExecuteOptions(InputSchema):
    """Caps that stop an execution cleanly once reached (see `POST /bots/{id}/estimate` for what a run costs)."""

    max_pages: int | None = Field(default=None, ge=1, le=10_000_000, description="Pages to fetch at most.")
    max_tokens: int | None = Field(
        default=None, ge=1, le=10**10, description="LLM tokens to spend at most (counted at the expected rate)."
    )
    max_cost: int | None = Field(
        default=None, ge=1, le=10**10, description="Credits to spend at most: 1 per page, 1 per 1,000 LLM tokens."
    )


class Execution(Schema):
    id: uuid.UUID
    bot_id: uuid.UUID
    bot_version: int
    schedule_id: uuid.UUID | None
    parent_id: uuid.UUID | None = Field(description="The execution this one retries or re-extracts.")
    trigger: ExecutionTrigger
    status: ExecutionStatus
    stage: ExecutionStage | None
    priority: int
    urls_found: int
    pages_done: int
    pages_failed: int
    rows_count: int
    llm_tokens: int
    stage_timings: dict[str, Any] = Field(description="Per stage: `started` (epoch seconds) and `seconds` taken.")
    error_code: str | None
    error_message: str | None
    export_error: str | None = Field(
        description="The last delivery that failed for good (the execution's status is the scrape's alone)."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class LogLine(Schema):
    seq: int
    level: str
    event: str
    message: str
    data: dict[str, Any]
    created_at: datetime


class DeadLetter(Schema):
    """A page that failed for good after its retries."""

    url: str
    error_code: str | None
    error_message: str | None
    attempts: int
    http_status: int | None


class ExecutionDetail(Execution):
    logs: list[LogLine] = Field(description="The last 200 log lines, oldest first.")
    dead_letters: list[DeadLetter] = Field(description="Pages that failed for good (at most 200).")


class ExecutionFilter(PageParams):
    bot_id: uuid.UUID | None = None
    status: ExecutionStatus | None = None
    trigger: ExecutionTrigger | None = None
    since: datetime | None = Field(None, description="Created at or after this time (ISO 8601).")
    until: datetime | None = Field(None, description="Created before this time (ISO 8601).")


class RowFilter(PageParams):
    change_status: ChangeStatus | None = None


class ResultRow(Schema):
    id: uuid.UUID
    execution_id: uuid.UUID
    row_key: str
    data: dict[str, Any]
    change_status: ChangeStatus
    diff: dict[str, Any] = Field(description="For a changed row: `{field: {from, to}}`.")
    review_status: ReviewStatus | None = Field(description="For a bot that reviews rows before export.")
    created_at: datetime


class DownloadFormat(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    xlsx = "xlsx"


class Reextract(InputSchema):
    execution_id: uuid.UUID = Field(description="A past execution of this bot whose page snapshots to re-read.")
