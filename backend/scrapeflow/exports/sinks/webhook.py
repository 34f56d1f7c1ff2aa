"""Webhooks: JSON POSTs signed as Standard Webhooks says; large results in numbered batches or as a link."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from scrapeflow.exports import signing
from scrapeflow.exports.outbound import Answer
from scrapeflow.exports.rows import Row
from scrapeflow.exports.sinks import Shipment
from scrapeflow.kit.time import utcnow


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


async def _post(shipment: Shipment, message_id: str, data: dict[str, Any]) -> Answer:
    body = encode({"type": shipment.event, "timestamp": utcnow().isoformat(), "data": data})
    headers = signing.headers(shipment.secrets["signing_secret"], message_id, int(time.time()), body)
    return await shipment.outbound.post(shipment.config["url"], body, headers)


async def send(shipment: Shipment) -> Answer:
    total = await shipment.rows.count()
    above = shipment.settings.export_link_above_rows
    if above and total > above and shipment.link is not None:
        data = {"execution": shipment.summary, "rows_total": total, "download_url": shipment.link()}
        return await _post(shipment, shipment.message_id, data)
    size = shipment.settings.export_batch_rows
    count = max(1, math.ceil(total / size))
    sent, rows_sent = shipment.batches_sent, shipment.rows_sent
    answer: Answer | None = None
    batches = shipment.rows.batches(size, sent)
    while sent < count:
        batch: list[Row] = await anext(batches, [])
        # One message keeps the delivery's id; batches are told apart by their number.
        message_id = shipment.message_id if count == 1 else f"{shipment.message_id}_{sent + 1}"
        data = {
            "execution": shipment.summary,
            "rows": batch,
            "batch": {"number": sent + 1, "count": count, "rows_total": total},
        }
        answer = await _post(shipment, message_id, data)
        sent, rows_sent = sent + 1, rows_sent + len(batch)
        if shipment.progress is not None:
            await shipment.progress(sent, rows_sent)
    assert answer is not None or shipment.batches_sent >= count
    return answer or Answer(200, "", 0)
