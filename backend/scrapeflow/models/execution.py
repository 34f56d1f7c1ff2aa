"""Executions (one run of a bot), their logs and the pages they fetched."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, UTCDateTime, str_enum
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class ExecutionStatus(StrEnum):
    queued = "queued"
    running = "running"
    awaiting_review = "awaiting_review"
    succeeded = "succeeded"
    partially_succeeded = "partially_succeeded"
    failed = "failed"
    cancelled = "cancelled"


class ExecutionStage(StrEnum):
    mapping = "mapping"
    scraping = "scraping"
    extracting = "extracting"
    saving = "saving"
    exporting = "exporting"


class ExecutionTrigger(StrEnum):
    manual = "manual"
    schedule = "schedule"
    api = "api"
    retry = "retry"
    reextract = "reextract"


class PageStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class Execution(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "executions"
    __table_args__ = (
        Index(None, "org_id", "created_at"),
        Index(None, "org_id", "bot_id", "created_at"),
        Index(None, "org_id", "status"),
    )

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    bot_version: Mapped[int] = mapped_column(Integer)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("schedules.id", ondelete="SET NULL"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("executions.id", ondelete="SET NULL"))
    triggered_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    trigger: Mapped[ExecutionTrigger] = mapped_column(str_enum(ExecutionTrigger))
    status: Mapped[ExecutionStatus] = mapped_column(str_enum(ExecutionStatus), default=ExecutionStatus.queued)
    stage: Mapped[ExecutionStage | None] = mapped_column(str_enum(ExecutionStage))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    urls_found: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    pages_failed: Mapped[int] = mapped_column(Integer, default=0)
    rows_count: Mapped[int] = mapped_column(Integer, default=0)
    llm_tokens: Mapped[int] = mapped_column(Integer, default=0)
    caps: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    stage_timings: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    export_error: Mapped[str | None] = mapped_column(Text)
    """The last delivery that failed for good (the scrape's own status is unaffected); cleared on redelivery."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The last log line's `seq`: taking the next one locks the row, so lines commit in `seq` order."""
    task_ids: Mapped[list[str]] = mapped_column(JSONVariant, default=list, server_default="[]")
    """Celery task ids enqueued for this execution (revoked on cancel)."""


class ExecutionLog(IdMixin, OrgOwnedMixin, Base):
    """A log line of an execution; `seq` orders them and resumes the event stream."""

    __tablename__ = "execution_logs"
    __table_args__ = (UniqueConstraint("org_id", "execution_id", "seq"),)

    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("executions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    level: Mapped[str] = mapped_column(String(16), default="info")
    event: Mapped[str] = mapped_column(String(64), default="log")
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Page(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """A URL an execution fetched (or failed to): its snapshot lives in artifact storage."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("org_id", "execution_id", "url_hash"),
        Index(None, "org_id", "execution_id", "status"),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("executions.id", ondelete="CASCADE"))
    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PageStatus] = mapped_column(str_enum(PageStatus), default=PageStatus.pending)
    http_status: Mapped[int | None] = mapped_column(Integer)
    render: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    snapshot_key: Mapped[str | None] = mapped_column(String(512))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    step_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The plan step the page starts at (0: a start or mapped page; later: a page a step led to)."""
    rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONVariant)
    """The rows extracted on this page, kept until the execution's rows are saved."""
