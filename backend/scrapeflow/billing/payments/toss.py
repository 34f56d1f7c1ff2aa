"""Toss Payments (Korean cards): a billing key from the card's authorization, then recurring charges we make
ourselves each month, cancellation of a charge, and its webhook (trusted only after reading the payment back
from Toss, as Toss advises for card payments, whose webhooks are not signed)."""

from __future__ import annotations

import base64
import contextlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.billing.payments.base import Invoice, PaymentFact, Started, SubscribeRequest, SubscriptionState
from scrapeflow.billing.payments.state import ENDED, LAPSED, LIVE, apply_subscription, first_delivery, record_payment
from scrapeflow.billing.payments.stripe import ProviderError
from scrapeflow.billing.plans import plan_named
from scrapeflow.config import Settings
from scrapeflow.db import session_scope
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import AppError, Unprocessable
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Organization, Payment, Subscription

PERIOD = timedelta(days=30)
RETRY_AFTER = timedelta(days=1)


class PaymentDeclined(AppError):
    status_code = 402
    code = "payment_declined"


class TossProvider:
    name = "toss"

    def __init__(self, settings: Settings, box: SecretBox, http: httpx.AsyncClient) -> None:
        if not settings.toss_secret_key:
            raise Unprocessable(
                "Toss Payments is not configured on this server (TOSS_SECRET_KEY).", code="billing_disabled"
            )
        self.settings, self.box, self.http = settings, box, http
        token = base64.b64encode(f"{settings.toss_secret_key}:".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
        headers = {**self.headers, **({"Idempotency-Key": key} if key else {})}
        try:
            response = await self.http.request(
                method, self.settings.toss_api_base.rstrip("/") + path, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ProviderError("Toss Payments could not be reached; try again later.") from exc
        answer = response.json() if response.content else {}
        if response.status_code >= 400:
            message = answer.get("message") if isinstance(answer, dict) else None
            code = answer.get("code") if isinstance(answer, dict) else None
            raise AppError(
                f"Toss Payments refused: {message or response.status_code}", code=f"toss_{code or 'error'}".lower()
            )
        return answer

    async def subscribe(
        self, session: AsyncSession, organization: Organization, current: Subscription | None, request: SubscribeRequest
    ) -> Started:
        if not request.auth_key or not request.customer_key:
            raise Unprocessable(
                "Toss Payments needs `auth_key` and `customer_key` from its card registration window.",
                code="toss_auth_missing",
            )
        amount = request.plan.price_monthly_krw
        if not amount:
            raise Unprocessable(
                f"The {request.plan.title} plan cannot be bought with Toss Payments.", code="unknown_price"
            )
        issued = await self._call(
            "POST",
            "/v1/billing/authorizations/issue",
            {"authKey": request.auth_key, "customerKey": request.customer_key},
        )
        if current is None or current.provider != self.name:
            current = Subscription(
                org_id=organization.id,
                provider=self.name,
                provider_subscription_id=f"toss_{uuid.uuid4().hex}",
                plan=request.plan.name,
                status="incomplete",
            )
            session.add(current)
        current.provider_customer_id = request.customer_key
        current.billing_key_sealed = self.box.encrypt(str(issued["billingKey"]))
        current.plan = request.plan.name
        await session.flush()
        await self.charge(session, current, organization)
        return Started(subscription=current)

    async def charge(self, session: AsyncSession, subscription: Subscription, organization: Organization) -> None:
        """Charge one month of the subscription's plan with its billing key; the subscription follows the result."""
        assert subscription.billing_key_sealed is not None
        assert subscription.provider_subscription_id is not None
        plan = plan_named(subscription.plan)
        now = utcnow()
        ended = subscription.current_period_end
        # A renewal continues the paid period; a first charge (or one long overdue) starts a new one. One order
        # per period: a retried charge of the same period is the same order, which Toss charges once.
        start = ended if ended is not None and now - PERIOD < ended <= now + PERIOD else now
        order = f"{subscription.provider_subscription_id}-{start:%Y%m%d%H%M%S}"
        billing_key = self.box.decrypt(subscription.billing_key_sealed)
        body = {
            "customerKey": subscription.provider_customer_id,
            "amount": plan.price_monthly_krw,
            "orderId": order,
            "orderName": f"ScrapeFlow {plan.title}",
            "customerEmail": organization.billing_email,
        }
        try:
            paid = await self._call("POST", f"/v1/billing/{billing_key}", body, key=order)
        except AppError as exc:
            await record_payment(
                session,
                self.settings,
                PaymentFact(self.name, order, subscription.provider_subscription_id, None, 0, "krw", False, now),
            )
            # The failed charge is kept (and starts the grace period of a renewal) though the request fails.
            raise PaymentDeclined(exc.message, code=exc.code, keep_changes=True) from exc
        state = SubscriptionState(
            provider=self.name,
            subscription_id=subscription.provider_subscription_id,
            customer_id=subscription.provider_customer_id,
            org_id=subscription.org_id,
            plan=subscription.plan,
            status="active",
            event_at=now,
            period_start=start,
            period_end=start + PERIOD,
        )
        await apply_subscription(session, self.settings, state)
        fact = PaymentFact(
            provider=self.name,
            payment_id=str(paid["paymentKey"]),
            subscription_id=subscription.provider_subscription_id,
            customer_id=subscription.provider_customer_id,
            amount=int(paid.get("totalAmount") or 0),
            currency=str(paid.get("currency") or "KRW"),
            paid=paid.get("status") == "DONE",
            event_at=now,
            details={"order_id": order},
        )
        await record_payment(session, self.settings, fact)

    async def cancel(self, session: AsyncSession, subscription: Subscription, *, immediately: bool) -> None:
        """No further charges (recurring charges are ours to make): the plan lasts until the paid period ends, or,
        `immediately`, the period's payment is cancelled (refunded) and the free plan applies now."""
        subscription.cancel_at_period_end = True
        if not immediately:
            return
        last = await session.scalar(
            select(Payment)
            .where(Payment.subscription_id == subscription.id, Payment.status == "paid")
            .order_by(Payment.created_at.desc())
            .limit(1)
        )
        if last is not None:
            path = f"/v1/payments/{last.provider_payment_id}/cancel"
            answer = await self._call("POST", path, {"cancelReason": "Subscription cancelled"})
            last.status = "canceled" if answer.get("status") == "CANCELED" else str(answer.get("status")).lower()
        await self._end(session, subscription)

    async def _end(self, session: AsyncSession, subscription: Subscription) -> None:
        assert subscription.provider_subscription_id is not None
        state = SubscriptionState(
            self.name, subscription.provider_subscription_id, None, subscription.org_id, None, "canceled", utcnow()
        )
        await apply_subscription(session, self.settings, state)

    async def renew(self, session: AsyncSession, subscription: Subscription) -> None:
        """At the end of a paid period: charge the next month, or end a subscription cancelled for then."""
        if subscription.cancel_at_period_end:
            await self._end(session, subscription)
            return
        organization = await session.get(Organization, subscription.org_id)
        assert organization is not None
        with contextlib.suppress(PaymentDeclined):  # recorded: the grace period runs, and the next pass retries
            await self.charge(session, subscription, organization)

    async def invoices(self, session: AsyncSession, subscription: Subscription) -> list[Invoice]:
        payments = await session.scalars(
            select(Payment)
            .where(Payment.org_id == subscription.org_id, Payment.provider == self.name)
            .order_by(Payment.created_at.desc())
            .limit(24)
        )
        return [
            Invoice(payment.provider_payment_id, payment.amount, payment.currency, payment.status, payment.created_at)
            for payment in payments
        ]

    async def handle_webhook(self, session: AsyncSession, body: dict[str, Any], transmission: str | None) -> str:
        """PAYMENT_STATUS_CHANGED: read the payment back from Toss and apply what Toss says, once."""
        if body.get("eventType") != "PAYMENT_STATUS_CHANGED":
            return "ignored"
        key = str((body.get("data") or {}).get("paymentKey") or "")
        if not key or "/" in key:
            raise Unprocessable("The event names no payment.", code="invalid_event")
        payment = await self._call("GET", f"/v1/payments/{key}")
        event_id = transmission or f"{key}:{payment.get('status')}:{body.get('createdAt')}"
        if not await first_delivery(session, self.name, event_id, "PAYMENT_STATUS_CHANGED"):
            return "duplicate"
        known = await session.scalar(
            select(Payment).where(Payment.provider == self.name, Payment.provider_payment_id == key)
        )
        if known is None:
            return "ignored"
        status = str(payment.get("status"))
        if status in ("CANCELED", "PARTIAL_CANCELED"):
            known.status = "canceled"
        elif status == "DONE":
            known.status = "paid"
        elif status == "ABORTED":
            known.status = "failed"
        return "applied"


async def renew_due(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, box: SecretBox, now: datetime
) -> int:
    """Charge the Toss subscriptions whose paid period has ended (each in its own transaction); a failed charge
    is tried again a day later, through the grace period. Returns how many were handled."""
    retry_before = now - RETRY_AFTER
    async with sessions() as session:
        due = list(
            await session.scalars(
                select(Subscription.id).where(
                    Subscription.provider == "toss",
                    Subscription.current_period_end <= now,
                    or_(
                        Subscription.status.in_(LIVE),
                        and_(Subscription.status.in_(LAPSED), Subscription.updated_at < retry_before),
                    ),
                )
            )
        )
    if not due:
        return 0
    async with httpx.AsyncClient(timeout=30.0) as http:
        provider = TossProvider(settings, box, http)
        for subscription_id in due:
            async with session_scope(sessions) as session:
                subscription = await session.get(Subscription, subscription_id, with_for_update=True)
                if subscription is not None and subscription.status not in ENDED:
                    await provider.renew(session, subscription)
    return len(due)
