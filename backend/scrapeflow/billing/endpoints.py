"""HTTP endpoints of plans, usage, cost estimates and payments (Stripe, Toss Payments)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from scrapeflow.auth.subject import BillingManage, BotsWrite, OrgRead
from scrapeflow.billing import service as billing_service
from scrapeflow.billing.estimate import estimate
from scrapeflow.billing.payments import stripe as stripe_payments
from scrapeflow.billing.payments.toss import TossProvider
from scrapeflow.billing.plans import PLANS
from scrapeflow.billing.ratelimits import count_run
from scrapeflow.billing.schemas import (
    CancelRequest,
    Estimate,
    InvoiceOut,
    PlanLimits,
    Plans,
    Portal,
    PortalRequest,
    Subscribe,
    Subscribed,
    SubscriptionOut,
    Usage,
    WebhookResult,
)
from scrapeflow.billing.service import Clients
from scrapeflow.db import SessionDep
from scrapeflow.kit.errors import AppError
from scrapeflow.kit.http import SecretBoxDep, SettingsDep

payments_router = APIRouter(prefix="/payments", tags=["payments"])
usage_router = APIRouter(prefix="/users", tags=["users"])
estimate_router = APIRouter(prefix="/bots", tags=["bots"])


async def run_limited(request: Request, session: SessionDep, subject: BotsWrite) -> None:
    """Run endpoints count against the organization's plan requests per minute, whatever the credential."""
    await count_run(request, session, subject)


RunLimited = Depends(run_limited)


async def get_clients(request: Request, box: SecretBoxDep) -> Clients:
    return Clients(box, request.app.state.http)


ClientsDep = Annotated[Clients, Depends(get_clients)]


@payments_router.get("/plans", summary="The plans, their prices and limits")
async def list_plans(settings: SettingsDep) -> Plans:
    providers = [
        name for name, key in (("stripe", settings.stripe_secret_key), ("toss", settings.toss_secret_key)) if key
    ]
    return Plans(
        billing_enabled=settings.billing_enabled,
        self_hosted_plan=settings.self_hosted_plan,
        providers=providers if settings.billing_enabled else [],
        plans=[PlanLimits(**plan.public()) for plan in PLANS.values()],
    )


@usage_router.get("/usage", summary="This month's usage against your organization's plan")
async def get_usage(subject: OrgRead, session: SessionDep, settings: SettingsDep) -> Usage:
    return Usage(**await billing_service.usage_report(session, settings, subject))


@estimate_router.post("/{bot_id}/estimate", summary="What a run would cost", dependencies=[RunLimited])
async def estimate_bot(
    bot_id: uuid.UUID, subject: BotsWrite, session: SessionDep, settings: SettingsDep, box: SecretBoxDep
) -> Estimate:
    """Maps the bot's pages as a run would (sitemaps and links; no page is scraped) and prices them in credits:
    1 per page, 1 per 1,000 LLM tokens. Pass caps to `POST /bots/{id}/execute` to stop a run at a budget."""
    return Estimate(**await estimate(session, settings, subject, bot_id, box))


@payments_router.post("/subscribe", summary="Subscribe to a plan, or change plan")
async def subscribe(
    body: Subscribe, subject: BillingManage, session: SessionDep, settings: SettingsDep, clients: ClientsDep
) -> Subscribed:
    """Stripe: returns a Checkout URL for a new subscription; a live one changes plan at once (prorated).
    Toss Payments: give the `auth_key` and `customer_key` its card window returned; the first month is charged
    now. A downgrade below this month's usage applies from next month (`notice` says so)."""
    return Subscribed(**await billing_service.subscribe(session, settings, subject, body, clients))


@payments_router.post("/portal", summary="Open Stripe's Customer Portal")
async def open_portal(
    subject: BillingManage,
    session: SessionDep,
    settings: SettingsDep,
    clients: ClientsDep,
    body: PortalRequest | None = None,
) -> Portal:
    return_url = body.return_url if body else None
    return Portal(url=await billing_service.portal(session, settings, subject, clients, return_url))


@payments_router.post("/cancel", summary="Cancel the subscription")
async def cancel(
    subject: BillingManage,
    session: SessionDep,
    settings: SettingsDep,
    clients: ClientsDep,
    body: CancelRequest | None = None,
) -> SubscriptionOut:
    """Renewal stops and the plan lasts until the paid period ends; with `immediately`, it ends now (Toss
    Payments cancels, and so refunds, the period's payment; Stripe cancels the subscription)."""
    immediately = body.immediately if body else False
    subscription = await billing_service.cancel(session, settings, subject, clients, immediately=immediately)
    return SubscriptionOut.model_validate(subscription)


@payments_router.get("/invoices", summary="The organization's invoices")
async def list_invoices(
    subject: BillingManage, session: SessionDep, settings: SettingsDep, clients: ClientsDep
) -> list[InvoiceOut]:
    found = await billing_service.invoices(session, settings, subject, clients)
    return [InvoiceOut.model_validate(invoice, from_attributes=True) for invoice in found]


@payments_router.post("/webhook", summary="Stripe's webhook")
async def stripe_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookResult:
    """Verified with `STRIPE_WEBHOOK_SECRET` before the body is parsed; 400 for a missing or wrong signature.
    Each event is applied once (a replay answers `duplicate`) and an older event never undoes a newer one."""
    if not stripe_signature:
        raise AppError("The Stripe-Signature header is missing.", code="invalid_signature")
    event = stripe_payments.verified_event(settings, await request.body(), stripe_signature)
    result = await stripe_payments.handle_event(session, settings, event)
    return WebhookResult(result=result)


@payments_router.post("/toss/webhook", summary="Toss Payments' webhook")
async def toss_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clients: ClientsDep,
    transmission: Annotated[str | None, Header(alias="tosspayments-webhook-transmission-id")] = None,
) -> WebhookResult:
    """PAYMENT_STATUS_CHANGED events; the payment is read back from Toss before anything changes."""
    try:
        body: Any = json.loads(await request.body())
    except ValueError as exc:
        raise AppError("The body is not JSON.", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise AppError("The body is not a Toss Payments event.", code="invalid_event")
    provider = billing_service.provider_for(settings, "toss", clients)
    assert isinstance(provider, TossProvider)
    return WebhookResult(result=await provider.handle_webhook(session, body, transmission))
