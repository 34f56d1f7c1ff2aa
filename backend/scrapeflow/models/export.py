"""Export destinations (webhook, Google Sheets, Slack, email) and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, UTCDateTime, str_enum
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class DestinationType(StrEnum):
    webhook = "webhook"
    google_sheets = "google_sheets"
    slack = "slack"
    email = "email"


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    retrying = "retrying"
    delivered = "delivered"
    failed = "failed"


class ExportDestination(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "export_destinations"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    type: Mapped[DestinationType] = mapped_column(str_enum(DestinationType))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """One attempt series to send one execution's rows to one destination (its id is the webhook-id).

    `next_attempt_at` is when the next attempt is due, or, while `sending`, when the worker's claim lapses
    (a worker that died mid-delivery leaves it to the sweep).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(None, "org_id", "destination_id", "created_at"),
        UniqueConstraint("org_id", "execution_id", "destination_id"),
        Index(None, "status", "next_attempt_at"),
    )

    destination_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("export_destinations.id", ondelete="CASCADE"))
    execution_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("executions.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[str] = mapped_column(String(16), default="all", server_default="all")
    """Which rows: all, new, or changed (new and changed)."""
    batches_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Webhook batches the receiver accepted (a retry resumes after them)."""
    rows_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
