"""Stripe: Checkout for new subscriptions, plan changes on the live subscription, the Customer Portal,
cancellation, invoices, and its webhook (verified with the signing secret before anything else)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.payments.base import (
    Invoice,
    PaymentFact,
    Started,
    SubscribeRequest,
    SubscriptionState,
)
from scrapeflow.billing.payments.state import LIVE, apply_subscription, first_delivery, record_payment
from scrapeflow.config import Settings
from scrapeflow.kit.errors import AppError, Unprocessable
from scrapeflow.models import Organization, Subscription

SUBSCRIPTION_EVENTS = frozenset(
    {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}
)


class ProviderError(AppError):
    status_code = 502
    code = "payment_provider_error"


def client(settings: Settings) -> stripe.StripeClient:
    if not settings.stripe_secret_key:
        raise Unprocessable("Stripe is not configured on this server (STRIPE_SECRET_KEY).", code="billing_disabled")
    bases: dict[str, str] = {"api": settings.stripe_api_base} if settings.stripe_api_base else {}
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=bases,  # type: ignore[arg-type]
        http_client=stripe.HTTPXClient(),
        max_network_retries=1,
    )


def _when(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else None


def plan_for_price(settings: Settings, price_id: str | None) -> str | None:
    return next((plan for plan, price in settings.stripe_prices.items() if price == price_id), None)


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = client(settings)

    async def subscribe(
        self, session: AsyncSession, organization: Organization, current: Subscription | None, request: SubscribeRequest
    ) -> Started:
        price = self.settings.stripe_prices.get(request.plan.name)
        if not price:
            raise Unprocessable(
                f"The {request.plan.title} plan has no Stripe price on this server; choose another plan.",
                code="unknown_price",
                details={"plan": request.plan.name},
            )
        metadata = {"org_id": str(organization.id), "plan": request.plan.name}
        try:
            if current is not None and current.provider_subscription_id and current.status in LIVE:
                # A plan change: Stripe prorates, and its subscription.updated event moves our record.
                live = await self.client.v1.subscriptions.retrieve_async(current.provider_subscription_id)
                item = live["items"]["data"][0]["id"]
                await self.client.v1.subscriptions.update_async(
                    current.provider_subscription_id, {"items": [{"id": item, "plan": price}], "metadata": metadata}
                )
                return Started(subscription=current)
            customer = current.provider_customer_id if current is not None else None
            if customer is None:
                made = await self.client.v1.customers.create_async(
                    {"email": organization.billing_email or "", "name": organization.name, "metadata": metadata}
                )
                customer = made.id
            checkout = await self.client.v1.checkout.sessions.create_async(
                {
                    "mode": "subscription",
                    "customer": customer,
                    "line_items": [{"price": price, "quantity": 1}],
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "client_reference_id": str(organization.id),
                    "subscription_data": {"metadata": metadata},
                    "metadata": metadata,
                }
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the request: {exc.user_message or 'try again later'}.") from exc
        if current is None or current.provider_subscription_id is not None:
            current = Subscription(
                org_id=organization.id, provider=self.name, provider_customer_id=customer, plan=request.plan.name
            )
            session.add(current)
        current.plan, current.status = request.plan.name, "incomplete"
        return Started(checkout_url=checkout.url, subscription=current)

    async def portal(self, subscription: Subscription, return_url: str) -> str:
        if subscription.provider_customer_id is None:
            raise Unprocessable("There is no Stripe customer for this organization yet.", code="no_subscription")
        try:
            made = await self.client.v1.billing_portal.sessions.create_async(
                {"customer": subscription.provider_customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the request: {exc.user_message or 'try again later'}.") from exc
        return str(made.url)

    async def cancel(self, session: AsyncSession, subscription: Subscription, *, immediately: bool) -> None:
        """At the period's end, or `immediately` (Stripe's customer.subscription.deleted then ends the plan)."""
        assert subscription.provider_subscription_id is not None
        try:
            if immediately:
                await self.client.v1.subscriptions.cancel_async(subscription.provider_subscription_id)
            else:
                await self.client.v1.subscriptions.update_async(
                    subscription.provider_subscription_id, {"cancel_at_period_end": True}
                )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the request: {exc.user_message or 'try again later'}.") from exc
        subscription.cancel_at_period_end = True

    async def invoices(self, session: AsyncSession, subscription: Subscription) -> list[Invoice]:
        if subscription.provider_customer_id is None:
            return []
        try:
            found = await self.client.v1.invoices.list_async(
                {"customer": subscription.provider_customer_id, "limit": 24}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"Stripe refused the request: {exc.user_message or 'try again later'}.") from exc
        return [_invoice(invoice.to_dict()) for invoice in found.data]


def _invoice(invoice: dict[str, Any]) -> Invoice:
    return Invoice(
        id=str(invoice["id"]),
        amount=int(invoice.get("amount_paid") or invoice.get("amount_due") or 0),
        currency=str(invoice.get("currency") or ""),
        status=str(invoice.get("status") or ""),
        created_at=_when(invoice.get("created") or invoice.get("date")) or datetime.now(UTC),
        url=invoice.get("hosted_invoice_url"),
    )


def verified_event(settings: Settings, payload: bytes, signature: str) -> dict[str, Any]:
    """The event, once its `Stripe-Signature` proves Stripe sent these bytes (400 otherwise, nothing parsed)."""
    if not settings.stripe_webhook_secret:
        raise Unprocessable("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).", code="billing_disabled")
    try:
        stripe.Webhook.construct_event(payload, signature, settings.stripe_webhook_secret)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise AppError("The Stripe-Signature header does not match this payload.", code="invalid_signature") from exc
    event: dict[str, Any] = json.loads(payload)
    return event


def _org(metadata: Any, fallback: Any = None) -> uuid.UUID | None:
    value = (metadata or {}).get("org_id") or fallback
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _subscription_state(settings: Settings, obj: dict[str, Any], at: datetime) -> SubscriptionState:
    item = (obj.get("items") or {}).get("data") or [{}]
    first = item[0]
    price = (
        (first.get("price") or {}).get("id") or (first.get("plan") or {}).get("id") or (obj.get("plan") or {}).get("id")
    )
    return SubscriptionState(
        provider="stripe",
        subscription_id=obj["id"],
        customer_id=obj.get("customer"),
        org_id=_org(obj.get("metadata")),
        plan=plan_for_price(settings, price),
        status=obj.get("status") or "incomplete",
        event_at=at,
        period_start=_when(obj.get("current_period_start") or first.get("current_period_start")),
        period_end=_when(obj.get("current_period_end") or first.get("current_period_end")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
    )


def _invoice_subscription(obj: dict[str, Any]) -> str | None:
    parent = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return obj.get("subscription") or parent


async def handle_event(session: AsyncSession, settings: Settings, event: dict[str, Any]) -> str:
    """Apply a verified event once; what happened ("applied", "duplicate" or "ignored")."""
    kind, obj = event.get("type", ""), (event.get("data") or {}).get("object") or {}
    if not event.get("id") or not await first_delivery(session, "stripe", str(event["id"]), kind[:64]):
        return "duplicate"
    at = _when(event.get("created")) or datetime.now(UTC)
    if kind in SUBSCRIPTION_EVENTS:
        state = _subscription_state(settings, obj, at)
        if kind.endswith(".deleted"):
            state = SubscriptionState(**{**state.__dict__, "status": "canceled"})
        return "applied" if await apply_subscription(session, settings, state) else "ignored"
    if kind == "checkout.session.completed" and obj.get("subscription"):
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        state = SubscriptionState(
            provider="stripe",
            subscription_id=obj["subscription"],
            customer_id=obj.get("customer"),
            org_id=_org(obj.get("metadata"), obj.get("client_reference_id")),
            plan=(obj.get("metadata") or {}).get("plan"),
            status="active" if paid else "incomplete",
            event_at=at,
        )
        return "applied" if await apply_subscription(session, settings, state) else "ignored"
    if kind in ("invoice.paid", "invoice.payment_failed"):
        paid = kind == "invoice.paid"
        fact = PaymentFact(
            provider="stripe",
            payment_id=obj["id"],
            subscription_id=_invoice_subscription(obj),
            customer_id=obj.get("customer"),
            amount=int((obj.get("amount_paid") if paid else obj.get("amount_due")) or 0),
            currency=str(obj.get("currency") or "usd"),
            paid=paid,
            event_at=at,
            details={"invoice": obj["id"], "event": event["id"]},
        )
        return "applied" if await record_payment(session, settings, fact) else "ignored"
    return "ignored"
