"""Google Sheets: the rows through the Sheets writer (`scrapeflow.exports.sheets.write_rows`).

This is the one place the writer plugs in: it takes the unsealed credentials, the spreadsheet id, the worksheet,
the mode (append, replace, upsert), the key column, the fields (the header row) and the rows.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from scrapeflow.exports.outbound import Answer, DeliveryError
from scrapeflow.exports.sinks import Shipment


async def send(shipment: Shipment) -> Answer:
    try:
        writer: Any = importlib.import_module("scrapeflow.exports.sheets")
    except ModuleNotFoundError:
        raise DeliveryError("Google Sheets exports are not available on this server.", retryable=False) from None
    # A sheet holds at most a few million cells, so the rows fit in memory; the header needs all fields first.
    rows = [row["data"] async for batch in shipment.rows.batches(shipment.settings.export_batch_rows) for row in batch]
    fields = list(dict.fromkeys(name for row in rows for name in row))
    config = shipment.config
    started = time.monotonic()
    try:
        result = await writer.write_rows(
            shipment.secrets["credentials"],
            config["spreadsheet_id"],
            config["worksheet"],
            config["mode"],
            config.get("key_column"),
            fields,
            rows,
        )
    except writer.SheetsError as exc:
        raise DeliveryError(f"Google Sheets: {exc}", retryable=False) from None
    return Answer(200, str(result)[:500], int((time.monotonic() - started) * 1000))
