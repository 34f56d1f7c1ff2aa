"""Organizations (tenants), their members and pending invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, UTCDateTime, str_enum
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class Role(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"
    owner = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    is_personal: Mapped[bool] = mapped_column(default=False)
    plan: Mapped[str] = mapped_column(String(32), default="free")
    # A downgrade below what the organization already used this period applies from the next period.
    pending_plan: Mapped[str | None] = mapped_column(String(32))
    pending_plan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billing_email: Mapped[str | None] = mapped_column(String(320))
    # Organization-wide options; secrets inside (e.g. its own LLM key) are sealed with the server key.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict, server_default="{}")


class Membership(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"), Index(None, "user_id"))

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))


class Invitation(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "invitations"
    __table_args__ = (Index(None, "org_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
