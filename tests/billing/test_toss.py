"""Toss Payments through the same provider interface, against a local server speaking Toss's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.payments.toss import TossProvider, renew_due
from scrapeflow.billing.plans import PLANS
from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Organization, Payment, Subscription
from tests.billing.toss_server import TossServer
from tests.conftest import build_app, make_settings, migrate
from tests.factories import Actor, make_user
from tests.site.server import serve_site

SECRET_KEY = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R"


@pytest.fixture(scope="module")
def toss() -> Iterator[tuple[str, TossServer]]:
    server = TossServer(SECRET_KEY)
    with serve_site(server.app()) as base_url:
        yield base_url, server


@pytest.fixture
def toss_settings(settings: Settings, toss: tuple[str, TossServer]) -> Settings:
    return settings.model_copy(
        update={"billing_enabled": True, "toss_secret_key": SECRET_KEY, "toss_api_base": toss[0]}
    )


@pytest.fixture
async def client(toss_settings: Settings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with build_app(toss_settings, session) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
            yield http


async def subscribe(client: httpx.AsyncClient, server: TossServer, ada: Actor, customer: str) -> httpx.Response:
    body = {"plan": "pro", "provider": "toss", "auth_key": server.register_card(customer), "customer_key": customer}
    return await client.post("/api/v1/payments/subscribe", json=body, headers=ada.headers)


async def subscribed(session: AsyncSession, ada: Actor) -> tuple[Organization, Subscription]:
    organization = await session.get(Organization, ada.user.default_org_id, populate_existing=True)
    subscription = await session.scalar(
        select(Subscription)
        .where(Subscription.org_id == ada.user.default_org_id)
        .execution_options(populate_existing=True)
    )
    assert organization is not None and subscription is not None
    return organization, subscription


async def test_subscribing_issues_a_billing_key_and_charges_the_first_month(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada, customer = await make_user(session, toss_settings), f"cust_{uuid.uuid4().hex[:12]}"
    answer = await subscribe(client, toss[1], ada, customer)
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"notice": None} == {
        "provider": "toss",
        "plan": "pro",
        "checkout_url": None,
        "status": "active",
        "notice": None,
    }
    organization, subscription = await subscribed(session, ada)
    assert organization.plan == "pro"
    billing_key = next(key for key, owner in toss[1].billing_keys.items() if owner == customer)
    assert subscription.billing_key_sealed is not None and billing_key not in subscription.billing_key_sealed
    assert SecretBox(toss_settings.jwt_secret).decrypt(subscription.billing_key_sealed) == billing_key
    assert subscription.current_period_end is not None
    charge = toss[1].charges[-1]
    assert (charge["customerKey"], charge["amount"]) == (customer, PLANS["pro"].price_monthly_krw)
    payment = await session.scalar(select(Payment).where(Payment.subscription_id == subscription.id))
    assert payment is not None
    assert (payment.status, payment.amount, payment.currency) == ("paid", 99_000, "krw")

    invoices = (await client.get("/api/v1/payments/invoices", headers=ada.headers)).json()
    assert [(invoice["amount"], invoice["status"]) for invoice in invoices] == [(99_000, "paid")]


async def test_a_wrong_key_or_a_used_authorization_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada = await make_user(session, toss_settings)
    reused = {"plan": "pro", "provider": "toss", "auth_key": "auth_never_issued", "customer_key": "cust_x"}
    answer = await client.post("/api/v1/payments/subscribe", json=reused, headers=ada.headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "toss_invalid_auth_key"
    missing = await client.post(
        "/api/v1/payments/subscribe", json={"plan": "pro", "provider": "toss"}, headers=ada.headers
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "toss_auth_missing"

    wrong = toss_settings.model_copy(update={"toss_secret_key": "test_sk_wrong"})
    async with build_app(wrong, session) as app:
        other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        refused = await subscribe(other, toss[1], ada, "cust_wrong")
    assert refused.json()["error"]["code"] == "toss_unauthorized_key"
    assert (await subscribed_or_none(session, ada)) is None


async def subscribed_or_none(session: AsyncSession, ada: Actor) -> Subscription | None:
    return await session.scalar(select(Subscription).where(Subscription.org_id == ada.user.default_org_id))


async def test_a_declined_card_is_refused_and_recorded(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada, customer = await make_user(session, toss_settings), f"cust_{uuid.uuid4().hex[:12]}"
    toss[1].declined_customers.add(customer)
    answer = await subscribe(client, toss[1], ada, customer)
    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == "toss_reject_card_payment"
    organization, subscription = await subscribed(session, ada)
    assert organization.plan == "free"
    payment = await session.scalar(select(Payment).where(Payment.subscription_id == subscription.id))
    assert payment is not None and payment.status == "failed"


async def test_renewals_charge_the_next_month_and_a_cancelled_subscription_ends(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada, customer = await make_user(session, toss_settings), f"cust_{uuid.uuid4().hex[:12]}"
    assert (await subscribe(client, toss[1], ada, customer)).status_code == 200
    organization, subscription = await subscribed(session, ada)
    first_end = subscription.current_period_end
    assert first_end is not None
    async with httpx.AsyncClient() as http:
        provider = TossProvider(toss_settings, SecretBox(toss_settings.jwt_secret), http)
        await provider.renew(session, subscription)
        await session.flush()
        assert subscription.current_period_end is not None and subscription.current_period_end > first_end
        payments = (await session.scalars(select(Payment).where(Payment.subscription_id == subscription.id))).all()
        assert [payment.status for payment in payments] == ["paid", "paid"]

        cancelled = await client.post("/api/v1/payments/cancel", headers=ada.headers)
        assert cancelled.json()["cancel_at_period_end"] is True
        await session.refresh(subscription)
        assert (await subscribed(session, ada))[0].plan == "pro"  # until the paid period ends
        await provider.renew(session, subscription)
        await session.flush()
    organization, subscription = await subscribed(session, ada)
    assert (subscription.status, organization.plan) == ("canceled", "free")


async def test_cancelling_immediately_refunds_the_period(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada, customer = await make_user(session, toss_settings), f"cust_{uuid.uuid4().hex[:12]}"
    assert (await subscribe(client, toss[1], ada, customer)).status_code == 200
    answer = await client.post("/api/v1/payments/cancel", json={"immediately": True}, headers=ada.headers)
    assert answer.status_code == 200, answer.text
    organization, subscription = await subscribed(session, ada)
    assert (subscription.status, organization.plan) == ("canceled", "free")
    payment = await session.scalar(select(Payment).where(Payment.subscription_id == subscription.id))
    assert payment is not None and payment.status == "canceled"
    assert toss[1].payments[payment.provider_payment_id]["status"] == "CANCELED"


async def test_webhooks_are_read_back_from_toss_and_applied_once(
    client: httpx.AsyncClient, session: AsyncSession, toss_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    ada, customer = await make_user(session, toss_settings), f"cust_{uuid.uuid4().hex[:12]}"
    assert (await subscribe(client, toss[1], ada, customer)).status_code == 200
    _, subscription = await subscribed(session, ada)
    payment = await session.scalar(select(Payment).where(Payment.subscription_id == subscription.id))
    assert payment is not None
    key = payment.provider_payment_id
    # A forged event claiming a cancellation Toss never made changes nothing: the payment is read back.
    forged = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2026-11-22T10:00:00.000000",
        "data": {"paymentKey": key, "status": "CANCELED"},
    }
    assert (await client.post("/api/v1/payments/toss/webhook", json=forged)).json() == {"result": "applied"}
    await session.refresh(payment)
    assert payment.status == "paid"

    toss[1].payments[key]["status"] = "CANCELED"  # cancelled in Toss's console
    real = {**forged, "createdAt": "2026-11-22T11:00:00.000000"}
    assert (await client.post("/api/v1/payments/toss/webhook", json=real)).json() == {"result": "applied"}
    await session.refresh(payment)
    assert payment.status == "canceled"
    assert (await client.post("/api/v1/payments/toss/webhook", json=real)).json() == {"result": "duplicate"}

    unknown = {**real, "data": {"paymentKey": "tpk_unknown"}}
    refused = await client.post("/api/v1/payments/toss/webhook", json=unknown)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "toss_not_found_payment"
    assert (await client.post("/api/v1/payments/toss/webhook", content=b"not json")).status_code == 400


@pytest.fixture
def committed_settings(toss: tuple[str, TossServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A database of its own, for code that commits its own transactions (beat's renewals)."""
    url = f"sqlite:///{(tmp_path / 'renewals.db').as_posix()}"
    configured = make_settings(tmp_path, url, billing_enabled=True, toss_secret_key=SECRET_KEY, toss_api_base=toss[0])
    migrate(configured, monkeypatch)
    return configured


async def test_beat_renews_the_subscriptions_whose_period_ended(
    committed_settings: Settings, toss: tuple[str, TossServer]
) -> None:
    box = SecretBox(committed_settings.jwt_secret)
    customer = f"cust_{uuid.uuid4().hex[:12]}"
    billing_key = f"bk_{uuid.uuid4().hex}"
    toss[1].billing_keys[billing_key] = customer
    engine = create_engine(committed_settings)
    sessions = create_sessionmaker(engine)
    ended = utcnow() - timedelta(hours=1)
    async with sessions() as session, session.begin():
        organization = Organization(name="Renewing", slug=f"renewing-{uuid.uuid4().hex[:8]}", plan="pro")
        session.add(organization)
        await session.flush()
        due = Subscription(
            org_id=organization.id,
            provider="toss",
            provider_customer_id=customer,
            provider_subscription_id=f"toss_{uuid.uuid4().hex}",
            plan="pro",
            status="active",
            current_period_end=ended,
            billing_key_sealed=box.encrypt(billing_key),
        )
        later = Subscription(
            org_id=organization.id,
            provider="toss",
            provider_customer_id=customer,
            provider_subscription_id=f"toss_{uuid.uuid4().hex}",
            plan="pro",
            status="active",
            current_period_end=utcnow() + timedelta(days=3),
            billing_key_sealed=box.encrypt(billing_key),
        )
        session.add_all([due, later])
    assert await renew_due(sessions, committed_settings, box, utcnow()) == 1
    assert await renew_due(sessions, committed_settings, box, utcnow()) == 0  # paid: not due again
    async with sessions() as session:
        renewed = await session.get(Subscription, due.id)
        assert renewed is not None and renewed.current_period_end is not None
        assert renewed.current_period_end - ended == timedelta(days=30)
        paid = (await session.scalars(select(Payment).where(Payment.org_id == organization.id))).all()
    await engine.dispose()
    assert [(payment.status, payment.subscription_id) for payment in paid] == [("paid", due.id)]
