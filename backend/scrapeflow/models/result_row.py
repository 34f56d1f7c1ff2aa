"""Rows a bot extracted, upserted by key and marked new, changed or unchanged."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, str_enum
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class ChangeStatus(StrEnum):
    new = "new"
    changed = "changed"
    unchanged = "unchanged"


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ResultRow(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "result_rows"
    __table_args__ = (
        UniqueConstraint("org_id", "execution_id", "row_key"),
        Index(None, "org_id", "bot_id", "row_key"),
        Index(None, "org_id", "bot_id", "change_status"),
    )

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("executions.id", ondelete="CASCADE"))
    page_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("pages.id", ondelete="SET NULL"))
    row_key: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSONVariant)
    change_status: Mapped[ChangeStatus] = mapped_column(str_enum(ChangeStatus))
    diff: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    review_status: Mapped[ReviewStatus | None] = mapped_column(str_enum(ReviewStatus))
