"""A bot runs as an execution through real worker processes, on both brokers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.site.app import SiteApp

PAGES = 4  # of the 120-product shop (24 a page)


def list_workflow(shop: str, pages: int = PAGES) -> dict[str, Any]:
    urls = [f"{shop}/products?page={n}" for n in range(1, pages + 1)]
    return {
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "data": {"urls": urls},
            },
            {
                "id": "cards",
                "type": "extract",
                "data": {
                    "mode": "list",
                    "item_selector": ".product-card",
                    "fields": [
                        {"name": "title", "selector": "h2"},
                        {"name": "price", "selector": ".price", "type": "price"},
                    ],
                },
            },
            {"id": "unique", "type": "dedupe", "data": {"keys": ["title"]}},
        ],
        "edges": [{"source": "start", "target": "cards"}, {"source": "cards", "target": "unique"}],
    }


async def test_a_bot_runs_to_succeeded_with_the_right_rows(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    processes.worker()
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, list_workflow(shop))

    started = await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    execution = await wait_for(api, headers, started.json()["id"], processes)

    assert execution["status"] == "succeeded", execution
    expected = {product.title for n in range(1, PAGES + 1) for product in shop_app.catalog.page(n)}
    assert execution["urls_found"] == PAGES
    assert execution["pages_done"] == PAGES
    assert execution["rows_count"] == len(expected)
    assert set(execution["stage_timings"]) == {"mapping", "scraping", "extracting", "saving", "exporting"}
    stages = [line["data"].get("stage") for line in execution["logs"] if line["event"] == "stage"]
    assert stages == ["mapping", "scraping", "extracting", "saving", "exporting"]

    rows, cursor = [], None
    while True:
        page = await api.get(
            f"/api/v1/executions/{execution['id']}/result", params={"limit": 50, "cursor": cursor}, headers=headers
        )
        rows += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert {row["data"]["title"] for row in rows} == expected
    assert {row["change_status"] for row in rows} == {"new"}


async def test_a_worker_keeps_one_fetcher_across_an_executions_batches(
    api: httpx.AsyncClient, processes: Processes, shop: str, shop_app: SiteApp
) -> None:
    """Connections, robots.txt and circuit breakers outlive a batch: one worker process scraping an execution
    in batches of two pages asks the site for robots.txt once, not once a batch."""
    processes.env["SCRAPE_BATCH_SIZE"] = "2"
    processes.start("worker", "-c", "1")
    headers = await sign_up(api)
    bot_id = await create_bot(api, headers, list_workflow(shop, pages=5))
    shop_app.state.hits.clear()

    started = await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    execution = await wait_for(api, headers, started.json()["id"], processes)

    assert execution["status"] == "succeeded", execution
    assert execution["pages_done"] == 5
    assert shop_app.state.hits["/robots.txt"] == 1
    assert sum(shop_app.state.hits[f"/products?page={n}"] for n in range(1, 6)) == 5
