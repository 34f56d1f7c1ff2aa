"""The interface every payment provider implements, and the provider-neutral facts they report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.plans import Plan
from scrapeflow.models import Organization, Subscription


@dataclass(frozen=True)
class SubscribeRequest:
    plan: Plan
    success_url: str
    cancel_url: str
    # Toss Payments: what its payment window gave the browser (the card's authorization for a billing key).
    auth_key: str | None = None
    customer_key: str | None = None


@dataclass(frozen=True)
class Started:
    """What subscribing started: a page to send the user to (Stripe Checkout), or a subscription already live."""

    checkout_url: str | None = None
    subscription: Subscription | None = None


@dataclass(frozen=True)
class Invoice:
    id: str
    amount: int
    currency: str
    status: str
    created_at: datetime
    url: str | None = None


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as a provider event describes it, at the moment the provider created the event."""

    provider: str
    subscription_id: str
    customer_id: str | None
    org_id: uuid.UUID | None
    plan: str | None
    status: str  # active, trialing, past_due, unpaid, canceled, incomplete…
    event_at: datetime
    period_start: datetime | None = None
    period_end: datetime | None = None
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class PaymentFact:
    provider: str
    payment_id: str
    subscription_id: str | None
    customer_id: str | None
    amount: int
    currency: str
    paid: bool
    event_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    async def subscribe(
        self, session: AsyncSession, organization: Organization, current: Subscription | None, request: SubscribeRequest
    ) -> Started:
        """Start (or change) the organization's subscription to the plan."""
        ...

    async def cancel(self, session: AsyncSession, subscription: Subscription, *, immediately: bool) -> None:
        """Stop renewing: the plan lasts until the paid period ends, or ends now (`immediately`)."""
        ...

    async def invoices(self, session: AsyncSession, subscription: Subscription) -> list[Invoice]: ...
