"""Slack: an incoming-webhook message with the counts and a link to the execution."""

from __future__ import annotations

from scrapeflow.exports.outbound import Answer
from scrapeflow.exports.sinks import Shipment, headline
from scrapeflow.exports.sinks.webhook import encode

ICONS = {"execution.succeeded": ":white_check_mark:", "execution.failed": ":x:", "rows.changed": ":bell:"}


async def send(shipment: Shipment) -> Answer:
    subject, text = headline(shipment.event, shipment.summary)
    url = shipment.summary["url"]
    body = encode({"text": f"{ICONS.get(shipment.event, ':memo:')} *{subject}*\n{text}\n<{url}|Open the execution>"})
    return await shipment.outbound.post(shipment.secrets["url"], body, {})
