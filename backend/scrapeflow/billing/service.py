"""What the plan allows an organization to create and run, and its usage against the plan's limits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.billing import quotas
from scrapeflow.billing.payments.base import Invoice, PaymentProvider, SubscribeRequest
from scrapeflow.billing.payments.state import ENDED, downgrade_notice
from scrapeflow.billing.payments.stripe import StripeProvider
from scrapeflow.billing.payments.toss import TossProvider
from scrapeflow.billing.plans import PLANS, Plan
from scrapeflow.billing.schemas import Subscribe
from scrapeflow.billing.usage import current_usage, period_start
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.schemas import BotCreate, BotUpdate
from scrapeflow.config import Settings
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import NotFound, Unprocessable
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Organization, Subscription


async def plan_now(session: AsyncSession, settings: Settings, subject: AuthSubject) -> Plan:
    return await quotas.plan_of(session, settings, subject.org_id, utcnow())


def _render(fetch: Any, current: dict[str, Any] | None = None) -> str:
    """The render mode a bot will use: the one being set, else the one it has."""
    if fetch is not None and fetch.render is not None:
        return str(fetch.render)
    return str((current or {}).get("render", "auto"))


async def guard_new_bot(session: AsyncSession, settings: Settings, subject: AuthSubject, body: BotCreate) -> None:
    """Refuse a bot over the plan's count or using a feature it lacks (PLAN_LIMIT)."""
    plan = await plan_now(session, settings, subject)
    await quotas.check_new_bot(session, plan, subject.org_id)
    assert body.workflow_json is not None
    quotas.check_features(plan, bots_service.compile_or_422(body.workflow_json), _render(body.fetch))


async def guard_bot_change(
    session: AsyncSession, settings: Settings, subject: AuthSubject, bot_id: uuid.UUID, body: BotUpdate
) -> None:
    """Refuse a change that adds a feature the plan does not include (PLAN_LIMIT)."""
    if body.workflow_json is None and body.fetch is None:
        return
    bot = await bots_service.get(session, subject, bot_id)
    plan = await plan_now(session, settings, subject)
    workflow = body.workflow_json if body.workflow_json is not None else bot.workflow_json
    quotas.check_features(plan, bots_service.compile_or_422(workflow), _render(body.fetch, bot.settings))


async def schedule_interval(session: AsyncSession, settings: Settings, subject: AuthSubject, *, new: bool) -> int:
    """The shortest interval the organization's schedules may have; a new one over the plan's count is refused."""
    plan = await plan_now(session, settings, subject)
    if new:
        await quotas.check_new_schedule(session, plan, subject.org_id)
    return quotas.schedule_interval(settings, plan)


async def guard_new_member(session: AsyncSession, settings: Settings, subject: AuthSubject) -> None:
    """Refuse an invitation past the plan's team size (PLAN_LIMIT)."""
    plan = await plan_now(session, settings, subject)
    await quotas.check_new_member(session, plan, subject.org_id, utcnow())


async def usage_report(session: AsyncSession, settings: Settings, subject: AuthSubject) -> dict[str, Any]:
    """The current period's usage against the organization's limits."""
    now = utcnow()
    plan = await plan_now(session, settings, subject)
    used = await current_usage(session, subject.org_id, now)
    organization = await session.get(Organization, subject.org_id)
    assert organization is not None
    limits = {
        "executions": plan.executions_per_month,
        "pages": plan.pages_per_month,
        "llm_tokens": plan.llm_tokens_per_month,
    }
    return {
        "plan": plan.name,
        "billing_enabled": settings.billing_enabled,
        "period_start": period_start(now),
        "usage": {name: {"used": used[name], "limit": limit} for name, limit in limits.items()},
        "pending_plan": organization.pending_plan,
        "pending_plan_at": organization.pending_plan_at,
        "limits": plan.public(),
    }


# --- subscriptions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clients:
    """What providers need from the app: the sealing key (Toss billing keys) and the HTTP client."""

    box: SecretBox
    http: httpx.AsyncClient


def provider_for(settings: Settings, name: str, clients: Clients) -> PaymentProvider:
    if not settings.billing_enabled:
        raise Unprocessable(
            f"Billing is off on this server: every organization has the {settings.self_hosted_plan} plan.",
            code="billing_disabled",
        )
    if name == "toss":
        return TossProvider(settings, clients.box, clients.http)
    return StripeProvider(settings)


async def _latest(session: AsyncSession, subject: AuthSubject, provider: str | None = None) -> Subscription | None:
    statement = scoped(select(Subscription), subject, Subscription).where(Subscription.status.not_in(ENDED))
    if provider is not None:
        statement = statement.where(Subscription.provider == provider)
    return await session.scalar(statement.order_by(Subscription.created_at.desc()).limit(1))


async def subscribe(
    session: AsyncSession, settings: Settings, subject: AuthSubject, body: Subscribe, clients: Clients
) -> dict[str, Any]:
    """Start or change the organization's subscription. Concurrent calls for one organization run one at a time
    (its row is locked), so the second finds what the first made instead of opening a second subscription."""
    provider = provider_for(settings, body.provider, clients)
    plan = PLANS.get(body.plan)
    if plan is None or plan.name == "free":
        choices = ", ".join(name for name in PLANS if name != "free")
        raise Unprocessable(
            f"Unknown plan {body.plan!r}: choose one of {choices} (cancel to return to the free plan).",
            code="unknown_plan",
        )
    organization = await session.get(Organization, subject.org_id, with_for_update=True, populate_existing=True)
    assert organization is not None
    current = await _latest(session, subject, provider.name)
    request = SubscribeRequest(
        plan=plan,
        success_url=body.success_url or f"{settings.web_url}/billing?checkout=success",
        cancel_url=body.cancel_url or f"{settings.web_url}/billing?checkout=cancelled",
        auth_key=body.auth_key,
        customer_key=body.customer_key,
    )
    notice = await downgrade_notice(session, organization, plan.name, utcnow())
    started = await provider.subscribe(session, organization, current, request)
    subscription = started.subscription
    return {
        "provider": provider.name,
        "plan": plan.name,
        "checkout_url": started.checkout_url,
        "status": subscription.status if subscription is not None else "incomplete",
        "notice": notice,
    }


async def _live(session: AsyncSession, subject: AuthSubject) -> Subscription:
    subscription = await _latest(session, subject)
    if subscription is None or subscription.provider_subscription_id is None:
        raise NotFound("This organization has no subscription.", code="no_subscription")
    return subscription


async def cancel(
    session: AsyncSession, settings: Settings, subject: AuthSubject, clients: Clients, *, immediately: bool
) -> Subscription:
    """Stop renewing; the plan lasts until the paid period ends, or ends now."""
    subscription = await _live(session, subject)
    await provider_for(settings, subscription.provider, clients).cancel(session, subscription, immediately=immediately)
    return subscription


async def invoices(session: AsyncSession, settings: Settings, subject: AuthSubject, clients: Clients) -> list[Invoice]:
    subscription = await _latest(session, subject)
    if subscription is None:
        return []
    return await provider_for(settings, subscription.provider, clients).invoices(session, subscription)


async def portal(
    session: AsyncSession, settings: Settings, subject: AuthSubject, clients: Clients, return_url: str | None
) -> str:
    """A Stripe Customer Portal session (payment methods, invoices, plan changes and cancellation)."""
    provider = provider_for(settings, "stripe", clients)
    subscription = await _latest(session, subject, "stripe")
    if subscription is None:
        raise NotFound("This organization has no Stripe subscription.", code="no_subscription")
    assert isinstance(provider, StripeProvider)
    return await provider.portal(subscription, return_url or f"{settings.web_url}/billing")
