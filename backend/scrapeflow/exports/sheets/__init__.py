"""Google Sheets destination: writes rows to a worksheet with gspread, batched, paced and backing off on 429.

gspread is synchronous: every call runs in a worker thread, one batch of rows at a time, so memory stays
flat however many rows come.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError

from scrapeflow.exports.sheets.access import (
    account_email,
    google_credentials,
    parse_spreadsheet_id,
    validate_credentials,
)
from scrapeflow.exports.sheets.client import MAX_ATTEMPTS, SheetsHTTPClient
from scrapeflow.exports.sheets.errors import SheetsError, bad_credentials, from_api_error, unavailable
from scrapeflow.exports.sheets.writer import BATCH_ROWS, Mode, SheetsResult, SheetWriter

__all__ = ["SheetsError", "SheetsResult", "parse_spreadsheet_id", "validate_credentials", "write_rows"]

_MODES = ("append", "replace", "upsert")
_TITLE_MAX_CHARS = 100


async def write_rows(
    credentials: dict[str, Any],
    spreadsheet: str,
    worksheet: str,
    mode: Mode,
    key_column: str | None,
    fields: list[str],
    rows: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
    *,
    api_base_url: str | None = None,
) -> SheetsResult:
    """Writes `rows` (their `fields`, as columns) to the worksheet; raises SheetsError saying what to fix.

    `api_base_url` replaces Google's API origin (the `GOOGLE_SHEETS_API_URL` setting; empty: Google).
    """
    spreadsheet_id = parse_spreadsheet_id(spreadsheet)
    columns = _checked(worksheet, mode, key_column, fields)
    client = SheetsHTTPClient(google_credentials(credentials, api_base_url), api_base_url or "")
    writer = SheetWriter(client, spreadsheet_id, worksheet.strip(), mode, key_column, columns)
    try:
        with _told(account_email(credentials)):
            await asyncio.to_thread(writer.open)
            async for batch in _batches(rows):
                await asyncio.to_thread(writer.write, batch)
            return await asyncio.to_thread(writer.finish)
    finally:
        client.session.close()


def _checked(worksheet: str, mode: str, key_column: str | None, fields: list[str]) -> list[str]:
    """The fields once each, in order, after checking the destination's options make sense."""
    if mode not in _MODES:
        raise SheetsError("SHEETS_BAD_REQUEST", f"Unknown mode {mode!r}: use append, replace or upsert.")
    if not isinstance(worksheet, str) or not worksheet.strip() or len(worksheet.strip()) > _TITLE_MAX_CHARS:
        raise SheetsError("SHEETS_BAD_REQUEST", "Name the worksheet (tab) to write to, in at most 100 characters.")
    columns = list(dict.fromkeys(name for name in fields if isinstance(name, str) and name))
    if not columns:
        raise SheetsError("SHEETS_BAD_REQUEST", "There are no fields to write: the bot's rows have no columns.")
    if mode == "upsert" and key_column not in columns:
        raise SheetsError(
            "SHEETS_BAD_REQUEST", "Upsert needs a key column that is one of the fields (e.g. the product URL or SKU)."
        )
    return columns


async def _batches(
    rows: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
) -> AsyncIterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    async for row in _each(rows):
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


async def _each(rows: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


@contextmanager
def _told(account: str | None) -> Iterator[None]:
    """gspread's and google-auth's exceptions as SheetsError; theirs are not chained (they may quote secrets)."""
    try:
        yield
    except APIError as error:
        raise from_api_error(error, account, MAX_ATTEMPTS) from None
    except auth_errors.RefreshError as error:
        answer = error.args[1] if len(error.args) > 1 else None
        raise bad_credentials(answer.get("error") if isinstance(answer, dict) else None) from None
    except (auth_errors.TransportError, requests.RequestException):
        raise unavailable(MAX_ATTEMPTS) from None
    except auth_errors.GoogleAuthError:
        raise bad_credentials(None) from None
