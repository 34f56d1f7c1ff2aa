"""Subscriptions, payments and usage counters (Stripe and Toss records share these tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base
from scrapeflow.kit.db_types import JSONVariant, UTCDateTime
from scrapeflow.models.base import IdMixin, OrgOwnedMixin, TimestampMixin


class Subscription(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("provider", "provider_subscription_id"),
        Index(None, "org_id", "created_at"),
    )

    provider: Mapped[str] = mapped_column(String(16))
    provider_customer_id: Mapped[str | None] = mapped_column(String(255))
    provider_subscription_id: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    current_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the provider created the newest event applied here: an older event arriving late changes nothing."""
    billing_key_sealed: Mapped[str | None] = mapped_column(Text)
    """Toss Payments: the billing key that charges the card, sealed with the server key (kit/crypto.py)."""


class Payment(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        Index(None, "org_id", "created_at"),
    )

    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("subscriptions.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(String(16))
    provider_payment_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSONVariant, default=dict)


class UsageCounter(IdMixin, OrgOwnedMixin, TimestampMixin, Base):
    """What an organization used in one billing period; incremented atomically in SQL."""

    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("org_id", "period_start"),)

    period_start: Mapped[date] = mapped_column(Date)
    executions: Mapped[int] = mapped_column(BigInteger, default=0)
    pages: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    llm_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    api_requests: Mapped[int] = mapped_column(BigInteger, default=0)


class BillingEvent(IdMixin, TimestampMixin, Base):
    """A provider's webhook event, kept so that each is applied once (a replay finds its id here)."""

    __tablename__ = "billing_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="SET NULL"))
