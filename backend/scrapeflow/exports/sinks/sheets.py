"""Google Sheets: the rows through the Sheets writer (`scrapeflow.exports.sheets.write_rows`), streamed.

The header needs every field first, so the rows are read twice: once for their field names, once to write.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from scrapeflow.exports.outbound import Answer, DeliveryError
from scrapeflow.exports.sheets import SheetsError, write_rows
from scrapeflow.exports.sinks import Shipment

RETRYABLE = frozenset({"SHEETS_RATE_LIMITED", "SHEETS_UNAVAILABLE"})


async def send(shipment: Shipment) -> Answer:
    size = shipment.settings.export_batch_rows
    names: dict[str, None] = {}
    async for batch in shipment.rows.batches(size):
        for row in batch:
            names.update(dict.fromkeys(row["data"]))

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for batch in shipment.rows.batches(size):
            for row in batch:
                yield row["data"]

    config = shipment.config
    started = time.monotonic()
    try:
        result = await write_rows(
            shipment.secrets["credentials"],
            config["spreadsheet_id"],
            config["worksheet"],
            config["mode"],
            config.get("key_column"),
            list(names),
            rows(),
            api_base_url=shipment.settings.google_sheets_api_url or None,
        )
    except SheetsError as exc:
        raise DeliveryError(f"Google Sheets ({exc.code}): {exc.message}", retryable=exc.code in RETRYABLE) from None
    excerpt = f"{result.appended} appended, {result.updated} updated, {result.total_rows} rows in the sheet"
    return Answer(200, excerpt, int((time.monotonic() - started) * 1000))
