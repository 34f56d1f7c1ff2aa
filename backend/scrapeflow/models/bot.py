"""Bots and their immutable versions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class Bot(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "bots"
    __table_args__ = (
        Index(None, "org_id", "created_at"),
        Index(None, "org_id", "updated_at"),
        Index(None, "org_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_url: Mapped[str | None] = mapped_column(String(2048))
    workflow_json: Mapped[dict[str, Any]] = mapped_column(JSONVariant)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class BotVersion(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """A snapshot of a bot as saved; restoring one writes a new version."""

    __tablename__ = "bot_versions"
    __table_args__ = (UniqueConstraint("org_id", "bot_id", "version"),)

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_url: Mapped[str | None] = mapped_column(String(2048))
    workflow_json: Mapped[dict[str, Any]] = mapped_column(JSONVariant)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)
    message: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class BotSecret(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """A named secret a bot's `fill` steps type (a site password): sealed with SecretBox, never shown again.

    Not part of the bot's versions: restoring an old version keeps today's secrets.
    """

    __tablename__ = "bot_secrets"
    __table_args__ = (UniqueConstraint("org_id", "bot_id", "name"),)

    bot_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bots.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    sealed_value: Mapped[str] = mapped_column(Text)
