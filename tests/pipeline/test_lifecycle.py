"""An execution's life through real worker and beat processes: live events, cancelling, a worker killed
mid-run, schedules fired by two beats."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from scrapeflow.config import Settings
from tests.conftest import SHOP_SIZE
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.site.app import SiteApp, create_site
from tests.site.server import serve_site

PRODUCTS = 40


class SlowDown:
    """The shop, answering every request after `delay` seconds (a run long enough to act on mid-way)."""

    def __init__(self, app: ASGIApp, delay: float) -> None:
        self.app, self.delay = app, delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def slow_shop_app() -> SiteApp:
    return create_site(size=SHOP_SIZE)


@pytest.fixture(scope="module")
def slow_shop(slow_shop_app: SiteApp) -> Iterator[str]:
    with serve_site(SlowDown(slow_shop_app, 0.4)) as base_url:
        yield base_url


def products_workflow(base: str, app: SiteApp, count: int = PRODUCTS) -> dict[str, Any]:
    urls = [f"{base}{product.path}" for product in app.catalog.products[:count]]
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": urls}},
            {"id": "product", "type": "extract", "data": {"fields": [{"name": "title", "selector": "h1"}]}},
        ],
        "edges": [{"source": "start", "target": "product"}],
    }


async def progress(api: httpx.AsyncClient, headers: dict[str, str], execution_id: str, pages: int) -> dict[str, Any]:
    """Wait until at least `pages` pages are done."""
    for _ in range(600):
        body: dict[str, Any] = (await api.get(f"/api/v1/executions/{execution_id}", headers=headers)).json()
        if body["pages_done"] >= pages or body["status"] not in {"queued", "running"}:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"no progress: {body}")


def parse_events(stream: str) -> list[dict[str, Any]]:
    events = []
    for block in stream.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        if "event" in fields:
            events.append({"event": fields["event"], "id": fields.get("id"), "data": json.loads(fields["data"])})
    return events


async def test_events_stream_stage_changes_in_order_and_resume(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, products_workflow(shop, shop_app, 10))
    execution_id = (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"]

    streamed = await api.get(f"/api/v1/executions/{execution_id}/events", headers=headers, timeout=120)
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = parse_events(streamed.text)
    stages = [event["data"]["stage"] for event in events if event["event"] == "stage"]
    assert stages == ["mapping", "scraping", "extracting", "saving", "exporting"]
    ids = [int(event["id"]) for event in events if event["id"] is not None]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert events[-1] == {"event": "end", "id": None, "data": {"status": "succeeded"}}
    assert [event["data"]["status"] for event in events if event["event"] == "status"] == [
        "queued",
        "running",
        "succeeded",
    ]
    counters = [event["data"] for event in events if event["event"] == "counters"]
    assert counters[-1]["pages_done"] == 10 and counters[-1]["rows"] == 10

    scraping = next(event for event in events if event["event"] == "stage" and event["data"]["stage"] == "scraping")
    resumed = parse_events(
        (
            await api.get(
                f"/api/v1/executions/{execution_id}/events", headers={**headers, "Last-Event-ID": scraping["id"]}
            )
        ).text
    )
    resumed_stages = [event["data"]["stage"] for event in resumed if event["event"] == "stage"]
    assert resumed_stages == ["extracting", "saving", "exporting"]
    assert all(int(event["id"]) > int(scraping["id"]) for event in resumed if event["id"] is not None)


async def test_cancel_mid_run_stops_the_batches(
    api: httpx.AsyncClient, processes: Processes, slow_shop: str, slow_shop_app: SiteApp
) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, products_workflow(slow_shop, slow_shop_app))
    execution_id = (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"]
    await progress(api, headers, execution_id, 3)

    cancelled = await api.post(f"/api/v1/executions/{execution_id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    await asyncio.sleep(3)  # what was in flight finishes; nothing new starts
    settled = (await api.get(f"/api/v1/executions/{execution_id}", headers=headers)).json()
    await asyncio.sleep(2)
    final = (await api.get(f"/api/v1/executions/{execution_id}", headers=headers)).json()
    assert final["status"] == "cancelled"
    assert final["pages_done"] == settled["pages_done"] < PRODUCTS
    assert final["rows_count"] == 0 and final["stage"] == "scraping"
    again = await api.post(f"/api/v1/executions/{execution_id}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "execution_finished"


async def test_a_worker_killed_mid_run_loses_no_page_and_duplicates_no_row(
    api: httpx.AsyncClient, processes: Processes, slow_shop: str, slow_shop_app: SiteApp
) -> None:
    # A dead worker's per-site slots come back when their leases end (request time limit + a margin): short here.
    processes.env = {"FETCH_TIMEOUT_SECONDS": "3", "BROWSER_PAGE_TIMEOUT_SECONDS": "3"}
    first = processes.worker()
    processes.start("beat")  # its watchdog restarts what the dead worker held
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, products_workflow(slow_shop, slow_shop_app))
    execution_id = (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"]
    await progress(api, headers, execution_id, 3)

    processes.kill(first, signal.SIGKILL)
    processes.worker()
    execution = await wait_for(api, headers, execution_id, processes, within=150)

    assert execution["status"] == "succeeded", execution
    assert execution["pages_done"] == PRODUCTS and execution["pages_failed"] == 0
    rows = (await api.get(f"/api/v1/executions/{execution_id}/result", params={"limit": 200}, headers=headers)).json()
    titles = [row["data"]["title"] for row in rows["items"]]
    assert len(titles) == len(set(titles)) == PRODUCTS
    assert set(titles) == {p.title for p in slow_shop_app.catalog.products[:PRODUCTS]}


async def test_a_schedule_fires_once_with_two_beat_processes(
    api: httpx.AsyncClient, processes: Processes, pipeline_settings: Settings, shop: str, shop_app: SiteApp
) -> None:
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, products_workflow(shop, shop_app, 2))
    created = await api.post(
        "/api/v1/schedules",
        json={"bot_id": bot_id, "cron_expression": "0 * * * *", "timezone": "Europe/Berlin"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    engine = create_engine(pipeline_settings.sqlalchemy_url.replace("+aiosqlite", ""))
    with engine.begin() as connection:  # due now, as if the hour had just struck
        connection.execute(text("UPDATE schedules SET next_run_at = :due"), {"due": "2026-01-01 00:00:00+00:00"})
    engine.dispose()

    processes.worker()
    data = pipeline_settings.data_dir
    processes.start("beat", "--schedule", str(data / "beat-one"))
    processes.start("beat", "--schedule", str(data / "beat-two"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = (await api.get("/api/v1/executions", params={"trigger": "schedule"}, headers=headers)).json()
        if listed["items"] and listed["items"][0]["status"] == "succeeded":
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(12)  # both beats have ticked at least once more by now
    listed = (await api.get("/api/v1/executions", params={"trigger": "schedule"}, headers=headers)).json()
    assert len(listed["items"]) == 1, processes.output()
    assert listed["items"][0]["status"] == "succeeded"
    schedule = (await api.get(f"/api/v1/schedules/{created.json()['id']}", headers=headers)).json()
    assert schedule["next_run"] > "2026-11-22"


class ArrivalLog:
    """Wraps the shop: records when each request arrived and how many were in flight at once."""

    def __init__(self, app: ASGIApp, delay: float) -> None:
        self.app, self.delay = app, delay
        self.arrivals: list[float] = []
        self.in_flight = self.most_in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.arrivals.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def test_two_workers_stay_under_one_sites_limits_together(
    api: httpx.AsyncClient, processes: Processes, slow_shop_app: SiteApp
) -> None:
    log = ArrivalLog(slow_shop_app, 0.05)
    processes.env = {"DOMAIN_MAX_CONCURRENCY": "2", "DOMAIN_MIN_DELAY_SECONDS": "0.1"}
    processes.worker()
    processes.worker()
    with serve_site(log) as base:
        headers = await sign_up(api)
        bot_id = await create_bot(api, headers, products_workflow(base, slow_shop_app, 30))
        execution_id = (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"]
        execution = await wait_for(api, headers, execution_id, processes)

    assert execution["status"] == "succeeded" and execution["pages_done"] == 30
    assert len(log.arrivals) >= 30
    assert log.most_in_flight <= 2
    gaps = [later - earlier for earlier, later in zip(log.arrivals, log.arrivals[10:], strict=False)]
    # Any 11 arrivals in a row span 10 spacings of 0.1 s, less timing noise (a request's start is spaced, its
    # arrival at the site a little later or earlier); unlimited, the 30 requests would arrive within ~0.1 s.
    assert min(gaps) >= 10 * 0.1 - 0.25
