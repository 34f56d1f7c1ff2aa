"""Slack and email notices, against a local incoming-webhook server and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json

from scrapeflow.exports.schemas import EmailCreate, SlackCreate
from scrapeflow.models import Delivery, DeliveryStatus
from tests.exports.conftest import World
from tests.exports.receivers import Receiver, serving, smtp_server


async def test_slack_gets_the_counts_and_a_link(world: World) -> None:
    with serving(Receiver()) as slack:
        destination, secret = await world.destination(SlackCreate(name="Team", webhook_url=slack.url))
        assert secret is None
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery) is DeliveryStatus.delivered
    (request,) = slack.requests
    assert "webhook-signature" not in request.headers
    text = json.loads(request.body)["text"]
    assert "*Lamps finished: 5 row(s)*" in text
    assert "5 row(s) (2 new, 0 changed) from 1 page(s)" in text
    assert f"<http://localhost:3000/executions/{world.execution_id}|Open the execution>" in text


async def test_email_goes_through_the_smtp_server(world: World) -> None:
    with smtp_server() as (mailbox, port):
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        world.settings = world.settings.model_copy(update=smtp)
        destination, _ = await world.destination(EmailCreate(name="Ops", to=["ops@example.com", "ada@example.com"]))
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery) is DeliveryStatus.delivered
    (message,) = mailbox.messages
    assert message["Subject"] == "[ScrapeFlow] Lamps finished: 5 row(s)"
    assert message["To"] == "ops@example.com, ada@example.com"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"/executions/{world.execution_id}" in body.decode()
    assert (await world.get(Delivery, delivery)).response_excerpt == "accepted"


async def test_email_without_an_smtp_server_fails_with_a_clear_error(world: World) -> None:
    with smtp_server() as (_, port):
        closed = port
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": closed, "smtp_starttls": False, "webhook_max_attempts": 1}
    world.settings = world.settings.model_copy(update=smtp)
    destination, _ = await world.destination(EmailCreate(name="Ops", to=["ops@example.com"]))
    delivery = await world.delivery(destination)
    assert await world.deliver(delivery) is DeliveryStatus.failed
    assert "SMTP server refused or failed: ConnectionRefusedError" in (
        (await world.get(Delivery, delivery)).last_error or ""
    )
