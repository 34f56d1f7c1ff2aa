"""What provider events do, whichever provider sent them: each event once, never a step back in time, and the
organization's plan following its subscription (with a grace period when a renewal fails)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.payments.base import PaymentFact, SubscriptionState
from scrapeflow.billing.plans import PLANS, is_upgrade, plan_named
from scrapeflow.billing.usage import current_usage, period_start
from scrapeflow.config import Settings
from scrapeflow.kit.ids import uuid7
from scrapeflow.kit.time import utcnow
from scrapeflow.models import BillingEvent, Organization, Payment, Subscription

log = structlog.get_logger("scrapeflow.billing")
LIVE = frozenset({"active", "trialing"})
LAPSED = frozenset({"past_due", "unpaid"})
ENDED = frozenset({"canceled", "incomplete_expired"})


async def first_delivery(
    session: AsyncSession, provider: str, event_id: str, event_type: str, org_id: uuid.UUID | None = None
) -> bool:
    """Record the event; False when it was recorded before (a replay or a retried delivery)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    added = await session.scalar(
        insert(BillingEvent)
        .values(
            id=uuid7(),
            provider=provider,
            event_id=event_id,
            type=event_type,
            org_id=org_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(BillingEvent.id)
    )
    return added is not None


def next_period(now: datetime) -> datetime:
    start = period_start(now)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


async def downgrade_notice(session: AsyncSession, organization: Organization, plan: str, now: datetime) -> str | None:
    """When moving to `plan` is a downgrade below what the organization already used this period: the sentence
    telling the user its limits apply from the next period (None when they can apply now)."""
    if plan == organization.plan or is_upgrade(organization.plan, plan):
        return None
    target = plan_named(plan)
    used = await current_usage(session, organization.id, now)
    limits = {
        "executions": target.executions_per_month,
        "pages": target.pages_per_month,
        "llm_tokens": target.llm_tokens_per_month,
    }
    over = [name for name, limit in limits.items() if limit is not None and used[name] > limit]
    if not over:
        return None
    return (
        f"This month's {', '.join(over)} already exceed the {target.title} plan's limits, so its limits apply "
        f"from {next_period(now).date().isoformat()}; until then your current limits stay."
    )


async def change_plan(session: AsyncSession, organization: Organization, plan: str, now: datetime) -> None:
    """Move the organization to `plan`; a downgrade below what it already used waits for the next period."""
    if plan != organization.plan and await downgrade_notice(session, organization, plan, now) is not None:
        organization.pending_plan, organization.pending_plan_at = plan, next_period(now)
        return
    organization.plan = plan
    organization.pending_plan = organization.pending_plan_at = None


async def _subscription_for(session: AsyncSession, state: SubscriptionState) -> Subscription | None:
    subscription = await session.scalar(
        select(Subscription)
        .where(Subscription.provider == state.provider, Subscription.provider_subscription_id == state.subscription_id)
        .with_for_update()
    )
    if subscription is not None:
        return subscription
    org_id = state.org_id
    if state.customer_id is not None:
        # The row subscribing made before the provider had a subscription id (it holds the customer).
        started = await session.scalar(
            select(Subscription)
            .where(
                Subscription.provider == state.provider,
                Subscription.provider_customer_id == state.customer_id,
                Subscription.provider_subscription_id.is_(None),
            )
            .order_by(Subscription.created_at.desc())
            .limit(1)
            .with_for_update()
        )
        if started is not None:
            started.provider_subscription_id = state.subscription_id
            return started
        if org_id is None:
            org_id = await session.scalar(
                select(Subscription.org_id)
                .where(Subscription.provider == state.provider, Subscription.provider_customer_id == state.customer_id)
                .limit(1)
            )
    if org_id is None or await session.get(Organization, org_id) is None:
        return None
    subscription = Subscription(
        org_id=org_id,
        provider=state.provider,
        provider_customer_id=state.customer_id,
        provider_subscription_id=state.subscription_id,
        plan=state.plan or "free",
        status=state.status,
    )
    session.add(subscription)
    return subscription


async def apply_subscription(
    session: AsyncSession, settings: Settings, state: SubscriptionState
) -> Subscription | None:
    """Bring our record up to the provider's state, unless a newer event was applied already."""
    subscription = await _subscription_for(session, state)
    if subscription is None:
        log.warning("billing_subscription_unknown", provider=state.provider, subscription=state.subscription_id)
        return None
    if subscription.last_event_at is not None and state.event_at < subscription.last_event_at:
        log.info("billing_event_stale", provider=state.provider, subscription=state.subscription_id)
        return subscription
    if state.plan is not None and state.plan in PLANS:
        subscription.plan = state.plan
    subscription.status = state.status
    subscription.provider_customer_id = state.customer_id or subscription.provider_customer_id
    subscription.current_period_start = state.period_start or subscription.current_period_start
    subscription.current_period_end = state.period_end or subscription.current_period_end
    subscription.cancel_at_period_end = state.cancel_at_period_end
    subscription.last_event_at = state.event_at
    await _follow(session, settings, subscription)
    return subscription


async def _follow(session: AsyncSession, settings: Settings, subscription: Subscription) -> None:
    """The organization's plan follows its subscription's status."""
    organization = await session.get(Organization, subscription.org_id, with_for_update=True)
    assert organization is not None
    now = utcnow()
    if subscription.status in LIVE:
        subscription.grace_until = None
        await change_plan(session, organization, subscription.plan, now)
    elif subscription.status in LAPSED:
        if subscription.grace_until is None:
            subscription.grace_until = now + timedelta(days=settings.payment_grace_days)
        # The paid plan lasts through the grace period, then the free plan applies.
        organization.pending_plan, organization.pending_plan_at = "free", subscription.grace_until
    elif subscription.status in ENDED:
        organization.plan = "free"
        organization.pending_plan = organization.pending_plan_at = None


async def record_payment(session: AsyncSession, settings: Settings, fact: PaymentFact) -> Payment | None:
    """A paid or failed charge: kept in `payments`; a failure starts the grace period, a payment ends it."""
    subscription = None
    if fact.subscription_id is not None:
        subscription = await session.scalar(
            select(Subscription).where(
                Subscription.provider == fact.provider, Subscription.provider_subscription_id == fact.subscription_id
            )
        )
    if subscription is None and fact.customer_id is not None:
        subscription = await session.scalar(
            select(Subscription)
            .where(Subscription.provider == fact.provider, Subscription.provider_customer_id == fact.customer_id)
            .order_by(Subscription.created_at.desc())
            .limit(1)
        )
    if subscription is None:
        log.warning("billing_payment_unknown", provider=fact.provider, payment=fact.payment_id)
        return None
    payment = await session.scalar(
        select(Payment).where(Payment.provider == fact.provider, Payment.provider_payment_id == fact.payment_id)
    )
    if payment is None:
        payment = Payment(
            org_id=subscription.org_id,
            subscription_id=subscription.id,
            provider=fact.provider,
            provider_payment_id=fact.payment_id,
            amount=fact.amount,
            currency=fact.currency[:3].lower(),
            status="paid" if fact.paid else "failed",
            details=fact.details,
        )
        session.add(payment)
    elif payment.status == "paid" and not fact.paid:
        return payment  # a late failure notice of a charge that since went through
    payment.status = "paid" if fact.paid else "failed"
    payment.paid_at = fact.event_at if fact.paid else None
    if subscription.last_event_at is None or fact.event_at >= subscription.last_event_at:
        subscription.status = "active" if fact.paid else "past_due"
        subscription.last_event_at = fact.event_at
        await _follow(session, settings, subscription)
    return payment
