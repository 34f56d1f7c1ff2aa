"""What an execution leaves behind, through real worker processes on both brokers: downloads in every format,
change tracking across executions, a save delivered twice, re-extraction from stored snapshots, and retries of
failed pages. (Page
snapshots in S3-compatible storage: test_s3_snapshots.py.)"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import delete, select, update

from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker, session_scope
from scrapeflow.executions import exports
from scrapeflow.executions.schemas import DownloadFormat
from scrapeflow.kit.artifacts import artifact_store
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.models import ChangeStatus, Execution, ExecutionStage, ExecutionStatus, ResultRow
from scrapeflow.pipeline.stages import save_stage
from scrapeflow.pipeline.stages.common import Runtime
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.pipeline.shop_bots import card_fields, execute, list_pages, workflow
from tests.site.app import SiteApp

FORMULA = '=HYPERLINK("http://evil.example/","click me")'


async def all_rows(api: httpx.AsyncClient, headers: dict[str, str], path: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        answer = await api.get(path, params={**params, "limit": 200, "cursor": cursor or ""}, headers=headers)
        assert answer.status_code == 200, answer.text
        rows += answer.json()["items"]
        if not (cursor := answer.json()["next_cursor"]):
            return rows


async def update_workflow(api: httpx.AsyncClient, headers: dict[str, str], bot_id: str, document: Any) -> None:
    updated = await api.put(f"/api/v1/bots/{bot_id}", json={"workflow_json": document}, headers=headers)
    assert updated.status_code == 200, updated.text


def error_code(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


# --- downloads ------------------------------------------------------------------------------------------------


def neutralised(value: Any) -> Any:
    """What a spreadsheet cell must hold: text that would run as a formula is quoted."""
    return "'" + value if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"} else value


def as_csv_text(value: Any) -> str:
    return "" if value is None else str(neutralised(value))


async def test_downloads_in_every_format_hold_the_executions_rows(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    processes.worker()
    headers = await sign_up(api)
    formula = {"name": "note", "selector": ".no-such-element", "transforms": [{"op": "default", "value": FORMULA}]}
    bot_id = await create_bot(api, headers, workflow(list_pages(shop, 1, 2), card_fields(formula)))
    execution = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    assert execution["status"] == "succeeded", execution
    rows = [row["data"] for row in await all_rows(api, headers, f"/api/v1/executions/{execution['id']}/result")]
    assert len(rows) == 48
    assert all(row["note"] == FORMULA for row in rows)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    assert {"title", "price", "note"} <= set(columns)

    bodies: dict[str, bytes] = {}
    for fmt, media in exports.MEDIA_TYPES.items():
        answer = await api.get(
            f"/api/v1/executions/{execution['id']}/download", params={"format": fmt.value}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == media
        assert answer.headers["content-disposition"] == f'attachment; filename="execution-{execution["id"]}.{fmt}"'
        bodies[fmt.value] = answer.content

    assert json.loads(bodies["json"]) == rows
    assert [json.loads(line) for line in bodies["jsonl"].decode().splitlines()] == rows

    table = list(csv.reader(io.StringIO(bodies["csv"].decode())))
    assert table[0] == columns
    assert table[1:] == [[as_csv_text(row.get(column)) for column in columns] for row in rows]
    assert {line[columns.index("note")] for line in table[1:]} == {"'" + FORMULA}

    sheet = openpyxl.load_workbook(io.BytesIO(bodies["xlsx"]), read_only=True)["rows"]
    cells = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert cells[0] == columns
    assert cells[1:] == [[neutralised(row.get(column)) for column in columns] for row in rows]
    note_cells = [line[columns.index("note")] for line in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in note_cells} == {"s"}  # text, not a formula

    unknown = await api.get(f"/api/v1/executions/{execution['id']}/download", params={"format": "pdf"}, headers=headers)
    assert unknown.status_code == 422
    assert error_code(unknown) == "validation_error"
    assert unknown.json()["error"]["details"][0]["loc"] == ["query", "format"]

    stranger = await sign_up(api, "grace@example.com")
    hidden = await api.get(f"/api/v1/executions/{execution['id']}/download", headers=stranger)
    assert hidden.status_code == 404
    assert error_code(hidden) == "not_found"


class Batches:
    """Row batches that count how many were read, to see whether rendering streams or reads everything first."""

    def __init__(self, batches: int, size: int) -> None:
        self.batches, self.size, self.read = batches, size, 0

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"title": f"Product {n}", "price": n + 0.5, "tags": ["a", "b"], "note": "=1+1" if n % 2 else None}
            for n in range(self.batches * self.size)
        ]

    async def __call__(self) -> AsyncIterator[list[dict[str, Any]]]:
        rows = self.rows()
        for start in range(0, len(rows), self.size):
            self.read += 1
            yield rows[start : start + self.size]


@pytest.mark.parametrize("fmt", [DownloadFormat.csv, DownloadFormat.json, DownloadFormat.jsonl])
async def test_text_downloads_stream_while_the_rows_are_read(fmt: DownloadFormat) -> None:
    source = Batches(batches=8, size=500)
    chunks = exports.render(fmt, ["title", "price", "tags", "note"], source())
    first = await anext(chunks)
    assert source.read <= 1, "the first bytes went out before the rows were read"
    rest = [chunk async for chunk in chunks]
    assert source.read == 8
    body = first + b"".join(rest)
    assert len([chunk for chunk in rest if chunk]) >= 7
    assert max(len(chunk) for chunk in [first, *rest]) < len(body) / 4

    if fmt is DownloadFormat.csv:
        table = list(csv.reader(io.StringIO(body.decode())))
        assert len(table) == 4001
        assert table[2] == ["Product 1", "1.5", '["a", "b"]', "'=1+1"]
    elif fmt is DownloadFormat.json:
        assert json.loads(body) == source.rows()
    else:
        assert [json.loads(line) for line in body.splitlines()] == source.rows()


async def test_a_spreadsheet_download_of_thousands_of_rows_is_sent_in_chunks() -> None:
    source = Batches(batches=8, size=500)
    chunks = [chunk async for chunk in exports.render(DownloadFormat.xlsx, ["title", "price", "note"], source())]
    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= 64 * 1024
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(chunks)), read_only=True)["rows"]
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == 4001
    assert lines[2] == ("Product 1", 1.5, "'=1+1")


# --- change tracking ------------------------------------------------------------------------------------------

STOCK = {"name": "stock", "selector": ".stock"}
WAS = {"name": "was", "selector": ".old-price"}
RELABEL = {
    "id": "relabel",
    "type": "transform",
    "data": {"field": "stock", "ops": [{"op": "replace", "pattern": "^Out of stock$", "replacement": "Sold out"}]},
}


async def test_rows_are_new_unchanged_or_changed_against_the_bots_earlier_executions(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, workflow(list_pages(shop, 1, 2, 3), card_fields(STOCK)))

    first = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    second = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    assert first["status"] == second["status"] == "succeeded"
    first_rows = await all_rows(api, headers, f"/api/v1/executions/{first['id']}/result")
    second_rows = await all_rows(api, headers, f"/api/v1/executions/{second['id']}/result")
    assert len(first_rows) == len(second_rows) == 72
    assert {row["change_status"] for row in first_rows} == {"new"}
    assert {row["change_status"] for row in second_rows} == {"unchanged"}
    assert all(row["diff"] == {} for row in second_rows)

    # Page 1 is left out, page 4 comes in, sold-out products are labelled differently, and a new field holds the
    # old price of products on sale (null for the others, which are no less unchanged for it).
    await update_workflow(api, headers, bot_id, workflow(list_pages(shop, 2, 3, 4), card_fields(STOCK, WAS), RELABEL))
    third = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    assert third["status"] == "succeeded", third
    third_rows = {
        row["data"]["title"]: row for row in await all_rows(api, headers, f"/api/v1/executions/{third['id']}/result")
    }

    catalog = shop_app.catalog
    seen_before = {product.title: product for n in (1, 2, 3) for product in catalog.page(n)}
    diffs: dict[str, dict[str, Any]] = {}
    for n in (2, 3):
        for product in catalog.page(n):
            diff: dict[str, Any] = {}
            if not product.in_stock:
                diff["stock"] = {"from": "Out of stock", "to": "Sold out"}
            if product.list_price_text:
                diff["was"] = {"from": None, "to": product.list_price_text}
            if diff:
                diffs[product.title] = diff
    assert any("stock" in diff for diff in diffs.values()), "the test shop has sold-out products on pages 2-3"
    assert any("was" in diff for diff in diffs.values()), "the test shop has products on sale on pages 2-3"
    expected = {
        product.title: "new"
        if product.title not in seen_before
        else "changed"
        if product.title in diffs
        else "unchanged"
        for n in (2, 3, 4)
        for product in catalog.page(n)
    }
    assert {title: row["change_status"] for title, row in third_rows.items()} == expected
    assert {title: row["diff"] for title, row in third_rows.items() if row["diff"]} == diffs

    latest = await all_rows(api, headers, f"/api/v1/bots/{bot_id}/rows")
    by_title = {row["data"]["title"]: row for row in latest}
    assert len(latest) == len(by_title) == 96
    page_one = {product.title for product in catalog.page(1)}
    assert {row["execution_id"] for title, row in by_title.items() if title in page_one} == {second["id"]}
    assert {row["execution_id"] for title, row in by_title.items() if title not in page_one} == {third["id"]}

    changed = await all_rows(api, headers, f"/api/v1/bots/{bot_id}/rows", change_status="changed")
    assert {row["id"] for row in changed} == {third_rows[title]["id"] for title in diffs}
    assert all(row["data"] == third_rows[row["data"]["title"]]["data"] for row in changed)


class SentStages:
    """Where the stages under test hand their work on: recorded here, not sent to a broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, uuid.UUID]] = []

    def scrape(self, execution_id: uuid.UUID, priority: int, batches: list[list[str]], task_ids: list[str]) -> None:
        self.sent.append(("scrape", execution_id))

    def stage(self, name: str, execution_id: uuid.UUID, priority: int) -> None:
        self.sent.append((name, execution_id))

    def deliver(self, delivery_id: uuid.UUID) -> None:
        self.sent.append(("deliver", delivery_id))


async def test_a_save_delivered_twice_at_once_writes_each_row_once(
    api: httpx.AsyncClient, processes: Processes, shop: str, pipeline_settings: Settings
) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, workflow(list_pages(shop, 1, 2, 3), card_fields()))
    done = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    assert done["status"] == "succeeded" and done["rows_count"] == 72, done
    processes.stop_all()

    # Back to the moment before its save committed (a worker lost there), then the save task twice at once, as
    # when the watchdog restarts the stage while the first delivery is still running.
    execution_id = uuid.UUID(done["id"])
    engine = create_engine(pipeline_settings, writer=True)
    sessionmaker = create_sessionmaker(engine)
    async with session_scope(sessionmaker) as session:
        await session.execute(delete(ResultRow).where(ResultRow.execution_id == execution_id))
        await session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(status=ExecutionStatus.running, stage=ExecutionStage.saving, finished_at=None, rows_count=0)
        )
    sent = SentStages()
    rt = Runtime(
        settings=pipeline_settings,
        sessionmaker=sessionmaker,
        box=SecretBox(pipeline_settings.jwt_secret),
        artifacts=artifact_store(pipeline_settings),
        enqueue=sent,
    )
    try:
        await asyncio.gather(save_stage(rt, execution_id), save_stage(rt, execution_id))
        async with sessionmaker() as session:
            rows = (await session.scalars(select(ResultRow).where(ResultRow.execution_id == execution_id))).all()
            execution = await session.get(Execution, execution_id)
    finally:
        await engine.dispose()
    assert len(rows) == len({row.row_key for row in rows}) == 72
    assert {row.change_status for row in rows} == {ChangeStatus.new}
    assert execution is not None and execution.stage is ExecutionStage.exporting and execution.rows_count == 72
    assert sent.sent == [("export", execution_id)]  # the stage moved on once


# --- re-extraction --------------------------------------------------------------------------------------------


async def test_reextract_reads_the_stored_pages_with_the_bots_new_fields(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, workflow(list_pages(shop, 1, 2), card_fields()))
    other_bot = await create_bot(api, headers, workflow(list_pages(shop, 3), card_fields()))

    # No worker yet: these executions stay queued.
    queued = await execute(api, headers, bot_id)
    running = await api.post(f"/api/v1/bots/{bot_id}/reextract", json={"execution_id": queued}, headers=headers)
    assert running.status_code == 409
    assert error_code(running) == "execution_running"
    cancelled = await api.post(f"/api/v1/executions/{queued}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    empty = await api.post(f"/api/v1/bots/{bot_id}/reextract", json={"execution_id": queued}, headers=headers)
    assert empty.status_code == 422
    assert error_code(empty) == "no_snapshots"

    processes.worker()
    source = await wait_for(api, headers, await execute(api, headers, bot_id), processes)
    assert source["status"] == "succeeded", source
    before = {
        row["data"]["title"]: row["data"]
        for row in await all_rows(api, headers, f"/api/v1/executions/{source['id']}/result")
    }
    assert len(before) == 48

    elsewhere = await api.post(
        f"/api/v1/bots/{other_bot}/reextract", json={"execution_id": source["id"]}, headers=headers
    )
    assert elsewhere.status_code == 404
    stranger = await sign_up(api, "grace@example.com")
    foreign = await api.post(f"/api/v1/bots/{bot_id}/reextract", json={"execution_id": source["id"]}, headers=stranger)
    assert foreign.status_code == 404

    await update_workflow(api, headers, bot_id, workflow(list_pages(shop, 1, 2), card_fields(STOCK)))
    shop_app.reset()
    started = await api.post(f"/api/v1/bots/{bot_id}/reextract", json={"execution_id": source["id"]}, headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["trigger"] == "reextract"
    assert started.json()["parent_id"] == source["id"]
    again = await wait_for(api, headers, started.json()["id"], processes)

    assert again["status"] == "succeeded", again
    assert dict(shop_app.state.hits) == {}, "re-extraction fetched pages"
    assert again["urls_found"] == again["pages_done"] == 2
    after = await all_rows(api, headers, f"/api/v1/executions/{again['id']}/result")
    assert {row["data"]["title"] for row in after} == set(before)
    for row in after:
        title = row["data"]["title"]
        assert row["change_status"] == "changed"
        assert row["data"] == {**before[title], "stock": row["data"]["stock"]}
        assert row["diff"] == {"stock": {"from": None, "to": row["data"]["stock"]}}
    assert {row["data"]["stock"] for row in after} == {"In stock", "Out of stock"}


# --- retries --------------------------------------------------------------------------------------------------

FAILING = ("/status/404", "/gone")


async def test_retry_runs_only_the_pages_that_failed(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    headers = await sign_up(api)
    mixed = await create_bot(
        api, headers, workflow([*list_pages(shop, 1, 2), *(shop + path for path in FAILING)], card_fields())
    )
    clean = await create_bot(api, headers, workflow(list_pages(shop, 3), card_fields()))

    queued = await execute(api, headers, mixed)  # no worker yet: it stays queued
    running = await api.post(f"/api/v1/executions/{queued}/retry", headers=headers)
    assert running.status_code == 409
    assert error_code(running) == "execution_running"

    processes.worker()
    partial = await wait_for(api, headers, queued, processes)
    assert partial["status"] == "partially_succeeded", partial
    assert partial["error_code"] == "PAGES_FAILED"
    assert (partial["urls_found"], partial["pages_done"], partial["pages_failed"]) == (4, 2, 2)
    assert partial["rows_count"] == 48
    letters = {letter["url"]: letter for letter in partial["dead_letters"]}
    assert set(letters) == {shop + path for path in FAILING}
    for letter in letters.values():
        assert letter["error_code"] == "HTTP_ERROR"
        assert letter["http_status"] == 404
        assert letter["attempts"] == 1
        assert "404" in letter["error_message"]

    shop_app.reset()
    retried = await api.post(f"/api/v1/executions/{partial['id']}/retry", headers=headers)
    assert retried.status_code == 202, retried.text
    assert retried.json()["trigger"] == "retry"
    assert retried.json()["parent_id"] == partial["id"]
    retry = await wait_for(api, headers, retried.json()["id"], processes)

    # Only the two failed URLs were asked for again; they fail again, so this execution failed as a whole.
    assert retry["urls_found"] == 2
    assert set(shop_app.state.hits) - {"/robots.txt"} == set(FAILING)
    assert all(shop_app.state.hits[path] == 1 for path in FAILING)
    assert retry["status"] == "failed", retry
    assert retry["error_code"] == "HTTP_ERROR"
    assert "Every page failed" in retry["error_message"]
    assert {letter["url"] for letter in retry["dead_letters"]} == set(letters)

    succeeded = await wait_for(api, headers, await execute(api, headers, clean), processes)
    assert succeeded["status"] == "succeeded", succeeded
    nothing = await api.post(f"/api/v1/executions/{succeeded['id']}/retry", headers=headers)
    assert nothing.status_code == 422
    assert error_code(nothing) == "nothing_to_retry"


# --- artifact storage in S3 -----------------------------------------------------------------------------------
