"""Deliveries in this process against local receivers: signed batches, and receivers that are down, hang,
redirect forever or answer huge bodies; private addresses; disabling a destination that keeps failing."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from scrapeflow.exports import links
from scrapeflow.exports.schemas import WebhookCreate
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Delivery, DeliveryStatus, Execution, ExecutionLog, ExecutionStatus, ExportDestination
from tests.exports.conftest import World
from tests.exports.receivers import Receiver, serving


async def test_rows_go_in_signed_batches_each_with_its_own_stable_id(world: World) -> None:
    with serving(Receiver()) as receiver:
        destination, secret = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery, export_batch_rows=2) is DeliveryStatus.delivered
    assert secret is not None and secret.startswith("whsec_")
    verifier = Webhook(secret)
    payloads = [verifier.verify(request.body, request.headers) for request in receiver.requests]
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids == [f"msg_{delivery.hex}_{n}" for n in (1, 2, 3)]
    assert [payload["data"]["batch"] for payload in payloads] == [
        {"number": n, "count": 3, "rows_total": 5} for n in (1, 2, 3)
    ]
    rows = [row for payload in payloads for row in payload["data"]["rows"]]
    assert sorted(row["data"]["title"] for row in rows) == [f"Lamp {n}" for n in range(5)]
    assert {payload["type"] for payload in payloads} == {"execution.succeeded"}
    assert payloads[0]["data"]["execution"]["bot_name"] == "Lamps"
    assert payloads[0]["data"]["execution"]["new"] == 2
    # A tampered body does not verify.
    tampered = receiver.requests[0].body.replace(b'"Lamp', b'"Lump')
    assert tampered != receiver.requests[0].body
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, receiver.requests[0].headers)
    stored = await world.get(Delivery, delivery)
    assert (stored.status, stored.rows_sent, stored.batches_sent, stored.attempts) == ("delivered", 5, 3, 1)


async def test_only_new_or_changed_rows_when_asked(world: World) -> None:
    with serving(Receiver()) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        assert await world.deliver(await world.delivery(destination, rows="new")) is DeliveryStatus.delivered
    rows = json.loads(receiver.requests[0].body)["data"]["rows"]
    assert sorted(row["key"] for row in rows) == ["lamp-1", "lamp-3"]
    assert {row["change_status"] for row in rows} == {"new"}


async def test_a_receiver_that_is_down_is_retried_later_and_resumes_after_the_batches_it_took(world: World) -> None:
    with serving(Receiver(fail_first=1)) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery, export_batch_rows=2) is DeliveryStatus.retrying
        stored = await world.get(Delivery, delivery)
        assert stored.last_status_code == 503 and stored.response_excerpt == "down for maintenance"
        assert "answered 503" in (stored.last_error or "")
        assert timedelta(seconds=20) < stored.next_attempt_at - utcnow() < timedelta(seconds=40)
        # Not due yet: another task (a duplicate, or the sweep too early) does nothing.
        assert await world.deliver(delivery, export_batch_rows=2) is None
        async with world.sessions() as session, session.begin():
            (await session.get_one(Delivery, delivery)).next_attempt_at = utcnow()
        assert await world.deliver(delivery, export_batch_rows=2) is DeliveryStatus.delivered
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids == [f"msg_{delivery.hex}_1", f"msg_{delivery.hex}_1", f"msg_{delivery.hex}_2", f"msg_{delivery.hex}_3"]
    assert set(receiver.processed.values()) == {1}
    stored = await world.get(Delivery, delivery)
    assert (stored.attempts, stored.rows_sent, stored.last_error) == (2, 5, None)


async def test_a_receiver_that_hangs_fails_the_attempt_in_bounded_time(world: World) -> None:
    with serving(Receiver(mode="hang")) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        started = time.monotonic()
        assert await world.deliver(delivery, webhook_timeout_seconds=0.5) is DeliveryStatus.retrying
        assert time.monotonic() - started < 3
    stored = await world.get(Delivery, delivery)
    assert "did not answer within 0.5 s" in (stored.last_error or "")


async def test_redirects_are_not_followed(world: World) -> None:
    with serving(Receiver(mode="redirect")) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery) is DeliveryStatus.retrying
        assert len(receiver.requests) == 1
    stored = await world.get(Delivery, delivery)
    assert stored.last_status_code == 302
    assert "redirect" in (stored.last_error or "") and "not followed" in (stored.last_error or "")


async def test_a_huge_answer_is_not_read(world: World) -> None:
    with serving(Receiver(mode="huge")) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        started = time.monotonic()
        assert await world.deliver(delivery) is DeliveryStatus.delivered
        assert time.monotonic() - started < 5
    stored = await world.get(Delivery, delivery)
    assert stored.response_excerpt == "x" * 500


async def test_private_addresses_are_refused_at_send_time_without_retries(world: World) -> None:
    with serving(Receiver()) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        # The operator took 127.0.0.1 off FETCH_ALLOWLIST after the destination was made.
        assert await world.deliver(delivery, fetch_allowlist="") is DeliveryStatus.failed
        assert receiver.requests == []
    stored = await world.get(Delivery, delivery)
    assert "private or internal network" in (stored.last_error or "")


async def test_a_destination_that_keeps_failing_is_disabled_and_the_execution_shows_the_error(world: World) -> None:
    with serving(Receiver(fail_first=100)) as receiver:
        destination, _ = await world.destination(WebhookCreate(name="Flaky", url=receiver.url))
        failing = {"webhook_max_attempts": 1, "destination_disable_after": 2}
        assert await world.deliver(await world.delivery(destination), **failing) is DeliveryStatus.failed
        assert (await world.get(ExportDestination, destination)).is_active
        assert await world.deliver(await world.delivery(destination), **failing) is DeliveryStatus.failed
    disabled = await world.get(ExportDestination, destination)
    assert not disabled.is_active and disabled.disabled_at is not None
    assert disabled.consecutive_failures == 2
    assert "Disabled after 2 failed deliveries" in (disabled.disabled_reason or "")
    execution = await world.get(Execution, world.execution_id)
    assert execution.status is ExecutionStatus.succeeded  # the scrape's outcome stands
    assert execution.export_error == "Delivery to 'Flaky' failed: The receiver answered 503."
    async with world.sessions() as session:
        events = set(
            (await session.scalars(ExecutionLog.__table__.select().with_only_columns(ExecutionLog.event))).all()
        )
    assert "delivery_failed" in events


async def test_a_large_result_goes_as_a_signed_expiring_link(world: World, api: httpx.AsyncClient) -> None:
    with serving(Receiver()) as receiver:
        destination, secret = await world.destination(WebhookCreate(name="Hook", url=receiver.url))
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery, export_link_above_rows=3) is DeliveryStatus.delivered
    (request,) = receiver.requests
    assert secret is not None
    data = Webhook(secret).verify(request.body, request.headers)["data"]
    assert request.headers["webhook-id"] == f"msg_{delivery.hex}"
    assert data["rows_total"] == 5 and "rows" not in data
    link = httpx.URL(data["download_url"])
    assert link.path.startswith("/api/v1/exports/downloads/")
    answer = await api.get(link.path)  # no sign-in: the link is the authorization
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-ndjson"
    assert sorted(json.loads(line)["key"] for line in answer.text.splitlines()) == [f"lamp-{n}" for n in range(5)]

    token = link.path.rsplit("/", 1)[1]
    delivery_part, expires, signature = token.split(".")
    forged = [
        f"{delivery_part}.{int(expires) + 3600}.{signature}",  # extended
        f"{uuid.uuid4()}.{expires}.{signature}",  # pointed elsewhere
        f"{delivery_part}.{expires}.{signature[:-2]}xx",
        "not-a-token",
    ]
    for value in forged:
        refused = await api.get(f"/api/v1/exports/downloads/{value}")
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
    expired = links.token(world.settings, delivery, now=time.time() - world.settings.export_link_ttl_seconds - 1)
    assert (await api.get(f"/api/v1/exports/downloads/{expired}")).status_code == 404
