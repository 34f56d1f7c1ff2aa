"""Cron schedules that start a bot's executions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import UTCDateTime
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class Schedule(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "schedules"
    __table_args__ = (Index(None, "org_id", "bot_id"), Index(None, "is_active", "next_run_at"))

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    cron_expression: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
