"""Organization API keys (`sf_…`), stored hashed, scoped read or write."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, UTCDateTime
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class ApiKey(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "org_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONVariant)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
