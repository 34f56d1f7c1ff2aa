"""Stripe: the SDK against localstripe (plus a front for Checkout and the portal, which localstripe lacks), and
webhooks signed with the secret as Stripe signs them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.quotas import plan_of
from scrapeflow.billing.usage import add_usage
from scrapeflow.config import Settings
from scrapeflow.kit.time import utcnow
from scrapeflow.main import create_app
from scrapeflow.models import BillingEvent, Organization, Payment, Subscription
from tests.billing.stripe_server import StripeFront, event, run_stripe, signature
from tests.conftest import PostgresDatabases, build_app, make_settings, migrate
from tests.factories import Actor, make_user, personal_org

SECRET = "whsec_test_secret"
PRICES = {"starter": "price_starter", "pro": "price_pro"}


@pytest.fixture(scope="session")
def stripe_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StripeFront]]:
    with run_stripe(tmp_path_factory.mktemp("localstripe")) as (base_url, front):
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": base_url})
        for plan, price in PRICES.items():
            amount = 1900 if plan == "starter" else 7900
            client.v1.plans.create(
                {"id": price, "amount": amount, "currency": "usd", "interval": "month", "product": {"name": plan}}
            )
        yield base_url, front


@pytest.fixture
def stripe_settings(settings: Settings, stripe_api: tuple[str, StripeFront]) -> Settings:
    return settings.model_copy(
        update={
            "billing_enabled": True,
            "stripe_secret_key": "sk_test_x",
            "stripe_webhook_secret": SECRET,
            "stripe_api_base": stripe_api[0],
            "stripe_prices": PRICES,
        }
    )


@pytest.fixture
async def client(stripe_settings: Settings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with build_app(stripe_settings, session) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
            yield http


def sdk(stripe_settings: Settings) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_settings.stripe_api_base})


async def send(client: httpx.AsyncClient, payload: bytes, secret: str = SECRET) -> httpx.Response:
    return await client.post(
        "/api/v1/payments/webhook", content=payload, headers={"Stripe-Signature": signature(payload, secret)}
    )


def subscription_object(
    org_id: uuid.UUID, price: str, status: str = "active", sub_id: str = "sub_1"
) -> dict[str, object]:
    now = int(time.time())
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "metadata": {"org_id": str(org_id)},
        "cancel_at_period_end": False,
        "items": {
            "data": [
                {
                    "id": "si_1",
                    "price": {"id": price},
                    "current_period_start": now,
                    "current_period_end": now + 2_592_000,
                }
            ]
        },
    }


async def plan_now(session: AsyncSession, org_id: uuid.UUID) -> str:
    organization = await session.get(Organization, org_id, populate_existing=True)
    assert organization is not None
    return organization.plan


async def count(session: AsyncSession, model: type[BillingEvent] | type[Subscription] | type[Payment]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def owner(session: AsyncSession, settings: Settings) -> tuple[Actor, uuid.UUID]:
    ada = await make_user(session, settings)
    assert ada.user.default_org_id is not None
    return ada, ada.user.default_org_id


async def test_unsigned_or_wrongly_signed_events_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    _, org_id = await owner(session, stripe_settings)
    payload = event("customer.subscription.created", subscription_object(org_id, "price_pro"), int(time.time()))
    unsigned = await client.post("/api/v1/payments/webhook", content=payload)
    wrong = await send(client, payload, secret="whsec_not_ours")
    tampered = await client.post(
        "/api/v1/payments/webhook",
        content=payload.replace(b"price_pro", b"price_starter"),
        headers={"Stripe-Signature": signature(payload, SECRET)},
    )
    stale = await client.post(
        "/api/v1/payments/webhook",
        content=payload,
        headers={"Stripe-Signature": signature(payload, SECRET, at=int(time.time()) - 3600)},
    )
    for answer in (unsigned, wrong, tampered, stale):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "invalid_signature"
    assert await count(session, BillingEvent) == 0
    assert await plan_now(session, org_id) == "free"


async def test_a_subscription_event_sets_the_plan_once(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    _, org_id = await owner(session, stripe_settings)
    payload = event("customer.subscription.created", subscription_object(org_id, "price_pro"), int(time.time()))
    first = await send(client, payload)
    assert first.json() == {"result": "applied"}
    assert await plan_now(session, org_id) == "pro"
    subscription = await session.scalar(select(Subscription).where(Subscription.org_id == org_id))
    assert subscription is not None
    assert (subscription.status, subscription.plan, subscription.provider_customer_id) == ("active", "pro", "cus_1")

    events = await count(session, BillingEvent)
    replayed = await send(client, payload)
    assert replayed.json() == {"result": "duplicate"}
    assert await count(session, BillingEvent) == events


async def test_an_older_event_never_undoes_a_newer_one(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    _, org_id = await owner(session, stripe_settings)
    now = int(time.time())
    upgraded = event("customer.subscription.updated", subscription_object(org_id, "price_pro"), now)
    created = event(
        "customer.subscription.created", subscription_object(org_id, "price_starter", "incomplete"), now - 60
    )
    assert (await send(client, upgraded)).json() == {"result": "applied"}
    assert (await send(client, created)).json() == {"result": "applied"}  # recorded, but stale: no change
    assert await plan_now(session, org_id) == "pro"
    subscription = await session.scalar(select(Subscription).where(Subscription.org_id == org_id))
    assert subscription is not None
    assert subscription.status == "active"


async def test_a_failed_renewal_keeps_the_plan_through_the_grace_period(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    _, org_id = await owner(session, stripe_settings)
    now = int(time.time())
    await send(client, event("customer.subscription.created", subscription_object(org_id, "price_pro"), now - 10))
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_1",
        "subscription": "sub_1",
        "amount_due": 7900,
        "currency": "usd",
    }
    failed = await send(client, event("invoice.payment_failed", invoice, now))
    assert failed.json() == {"result": "applied"}
    subscription = await session.scalar(select(Subscription).where(Subscription.org_id == org_id))
    assert subscription is not None and subscription.grace_until is not None
    assert subscription.status == "past_due"
    assert subscription.grace_until - utcnow() > timedelta(days=stripe_settings.payment_grace_days - 1)
    assert (await plan_of(session, stripe_settings, org_id, utcnow())).name == "pro"
    after_grace = subscription.grace_until + timedelta(seconds=1)
    payment = await session.scalar(select(Payment).where(Payment.provider_payment_id == "in_1"))
    assert payment is not None and payment.status == "failed"

    paid = await send(client, event("invoice.paid", {**invoice, "amount_paid": 7900}, now + 5))
    assert paid.json() == {"result": "applied"}
    await session.refresh(payment)
    assert payment.status == "paid"
    assert (await plan_of(session, stripe_settings, org_id, after_grace)).name == "pro"

    await send(client, event("invoice.payment_failed", {**invoice, "id": "in_2"}, now + 10))
    await session.refresh(subscription)
    assert subscription.grace_until is not None
    assert (
        await plan_of(session, stripe_settings, org_id, subscription.grace_until + timedelta(seconds=1))
    ).name == "free"


async def test_a_deleted_subscription_returns_to_the_free_plan_and_unknown_prices_change_no_plan(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    _, org_id = await owner(session, stripe_settings)
    now = int(time.time())
    await send(client, event("customer.subscription.created", subscription_object(org_id, "price_pro"), now - 20))
    unknown = await send(
        client, event("customer.subscription.updated", subscription_object(org_id, "price_gold"), now - 10)
    )
    assert unknown.status_code == 200
    assert await plan_now(session, org_id) == "pro"
    deleted = await send(
        client, event("customer.subscription.deleted", subscription_object(org_id, "price_pro", "canceled"), now)
    )
    assert deleted.json() == {"result": "applied"}
    assert await plan_now(session, org_id) == "free"


async def test_subscribing_opens_checkout_and_its_completion_sets_the_plan(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings, stripe_api: tuple[str, StripeFront]
) -> None:
    ada, org_id = await owner(session, stripe_settings)
    started = await client.post("/api/v1/payments/subscribe", json={"plan": "pro"}, headers=ada.headers)
    assert started.status_code == 200, started.text
    assert started.json()["checkout_url"].startswith("https://checkout.stripe.com/")
    checkout = stripe_api[1].checkouts[-1]
    assert checkout["line_items[0][price]"] == "price_pro"
    assert checkout["client_reference_id"] == str(org_id)
    customer = sdk(stripe_settings).v1.customers.retrieve(checkout["customer"])  # made on localstripe
    assert customer.metadata["org_id"] == str(org_id)
    assert await plan_now(session, org_id) == "free"  # nothing is paid yet

    completed = {
        "id": "cs_1",
        "object": "checkout.session",
        "customer": customer.id,
        "subscription": "sub_checkout",
        "client_reference_id": str(org_id),
        "payment_status": "paid",
        "metadata": {"org_id": str(org_id), "plan": "pro"},
    }
    assert (await send(client, event("checkout.session.completed", completed, int(time.time())))).json() == {
        "result": "applied"
    }
    assert await plan_now(session, org_id) == "pro"
    assert (
        await session.scalar(select(func.count()).select_from(Subscription).where(Subscription.org_id == org_id)) == 1
    )

    portal = await client.post("/api/v1/payments/portal", headers=ada.headers)
    assert portal.status_code == 200
    assert stripe_api[1].portals[-1]["customer"] == customer.id


async def test_unknown_plans_and_prices_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    ada, _ = await owner(session, stripe_settings)
    gold = await client.post("/api/v1/payments/subscribe", json={"plan": "gold"}, headers=ada.headers)
    assert gold.status_code == 422
    assert gold.json()["error"]["code"] == "unknown_plan"
    enterprise = await client.post("/api/v1/payments/subscribe", json={"plan": "enterprise"}, headers=ada.headers)
    assert enterprise.status_code == 422  # no Stripe price for it on this server
    assert enterprise.json()["error"]["code"] == "unknown_price"
    assert await session.scalar(select(func.count()).select_from(Subscription)) == 0


async def live_subscription(session: AsyncSession, stripe_settings: Settings, ada: Actor) -> stripe.Subscription:
    """A paid subscription on localstripe (a card on file) and our record of it."""
    api = sdk(stripe_settings)
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = api.v1.payment_methods.create({"type": "card", "card": card})
    customer = api.v1.customers.create(
        {
            "email": ada.user.email,
            "payment_method": method.id,
            "invoice_settings": {"default_payment_method": method.id},
        }
    )
    live = api.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": "price_pro"}]})
    organization = await personal_org(session, ada)
    organization.plan = "pro"
    session.add(
        Subscription(
            org_id=organization.id,
            provider="stripe",
            provider_customer_id=customer.id,
            provider_subscription_id=live.id,
            plan="pro",
            status="active",
        )
    )
    await session.flush()
    return live


async def test_a_live_subscription_changes_plan_cancels_and_lists_invoices_on_stripe(
    client: httpx.AsyncClient, session: AsyncSession, stripe_settings: Settings
) -> None:
    ada, org_id = await owner(session, stripe_settings)
    live = await live_subscription(session, stripe_settings, ada)
    await add_usage(session, org_id, utcnow(), pages=25_000)  # over the starter plan's 20,000

    changed = await client.post("/api/v1/payments/subscribe", json={"plan": "starter"}, headers=ada.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["checkout_url"] is None
    assert "apply from" in changed.json()["notice"]
    on_stripe = sdk(stripe_settings).v1.subscriptions.retrieve(live.id)
    assert on_stripe["items"]["data"][0]["plan"]["id"] == "price_starter"

    invoices = await client.get("/api/v1/payments/invoices", headers=ada.headers)
    assert invoices.status_code == 200
    assert [(invoice["amount"], invoice["status"]) for invoice in invoices.json()][-1] == (7900, "paid")

    cancelled = await client.post("/api/v1/payments/cancel", headers=ada.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancel_at_period_end"] is True
    assert sdk(stripe_settings).v1.subscriptions.retrieve(live.id).cancel_at_period_end is True


@pytest.fixture
def postgres_stripe_settings(
    stripe_api: tuple[str, StripeFront],
    tmp_path: Path,
    postgres_databases: PostgresDatabases,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    configured = make_settings(
        tmp_path,
        postgres_databases.create(),
        billing_enabled=True,
        stripe_secret_key="sk_test_x",
        stripe_api_base=stripe_api[0],
        stripe_prices=PRICES,
    )
    migrate(configured, monkeypatch)
    return configured


async def test_concurrent_subscribe_calls_open_one_subscription(
    stripe_api: tuple[str, StripeFront], postgres_stripe_settings: Settings
) -> None:
    """Four parallel calls on PostgreSQL with real transactions: one customer, one subscription record."""
    configured = postgres_stripe_settings
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        account = {"email": "ada@example.com", "password": "correct horse battery staple"}
        assert (await http.post("/api/v1/auth/register", json=account)).status_code == 201
        token = (await http.post("/api/v1/auth/login", json=account)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        before = len(stripe_api[1].checkouts)
        answers = await asyncio.gather(
            *(http.post("/api/v1/payments/subscribe", json={"plan": "pro"}, headers=headers) for _ in range(4))
        )
        assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]
        async with app.state.sessionmaker() as session:
            rows = (await session.scalars(select(Subscription))).all()
    assert len(rows) == 1
    assert rows[0].status == "incomplete"
    assert {checkout["customer"] for checkout in stripe_api[1].checkouts[before:]} == {rows[0].provider_customer_id}
