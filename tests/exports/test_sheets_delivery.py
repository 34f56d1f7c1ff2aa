"""Deliveries to Google Sheets through the writer, against the local Sheets API server (tests/exports/sheets_server)."""

from __future__ import annotations

from scrapeflow.exports.schemas import GoogleSheetsCreate
from scrapeflow.models import Delivery, DeliveryStatus, ExecutionLog
from tests.exports.conftest import World
from tests.exports.sheets_server import serve_sheets


async def test_an_upsert_over_two_deliveries_keeps_one_row_per_key(world: World) -> None:
    with serve_sheets() as sheets:
        world.settings = world.settings.model_copy(update={"google_sheets_api_url": sheets.url})
        account = sheets.service_account()
        spreadsheet = sheets.add_spreadsheet([account["client_email"]])
        body = GoogleSheetsCreate(
            name="Sheet",
            spreadsheet=f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit",
            mode="upsert",
            key_column="title",
            credentials=account,
        )
        destination, _ = await world.destination(body)
        first = await world.delivery(destination)
        assert await world.deliver(first, export_batch_rows=2) is DeliveryStatus.delivered
        assert (await world.get(Delivery, first)).response_excerpt == "5 appended, 0 updated, 5 rows in the sheet"
        second = await world.delivery(destination)
        assert second == first  # the same execution to the same destination: its delivery, sent again
        assert await world.deliver(second) is DeliveryStatus.delivered
        assert (await world.get(Delivery, second)).response_excerpt == "0 appended, 5 updated, 5 rows in the sheet"
        values = sheets.values(spreadsheet, "Sheet1")
    header, *rows = values
    assert sorted(header) == ["price", "title"]
    assert sorted(row[header.index("title")] for row in rows) == [f"Lamp {n}" for n in range(5)]


async def test_a_spreadsheet_the_account_may_not_edit_fails_at_once_with_whom_to_share_it_with(world: World) -> None:
    with serve_sheets() as sheets:
        world.settings = world.settings.model_copy(update={"google_sheets_api_url": sheets.url})
        account = sheets.service_account()
        spreadsheet = sheets.add_spreadsheet(["someone-else@example.com"])
        body = GoogleSheetsCreate(name="Sheet", spreadsheet=spreadsheet, credentials=account)
        destination, _ = await world.destination(body)
        delivery = await world.delivery(destination)
        assert await world.deliver(delivery) is DeliveryStatus.failed
    stored = await world.get(Delivery, delivery)
    assert stored.attempts == 1
    assert stored.last_error.startswith("Google Sheets (SHEETS_FORBIDDEN): ")
    assert account["client_email"] in stored.last_error
    async with world.sessions() as session:
        messages = list(await session.scalars(ExecutionLog.__table__.select().with_only_columns(ExecutionLog.message)))
    assert not any(account["private_key"].splitlines()[1] in message for message in messages)
