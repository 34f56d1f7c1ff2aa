"""AI extraction in an execution: the `extract` stage on the `llm` queue, and usage counted against the key
that paid (the server's key counts against the organization's plan; its own key does not)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from scrapeflow.config import Settings
from scrapeflow.main import create_app
from tests.engine.llm_server import FakeLlm, serve_llm
from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.site.app import SiteApp

FIELDS = [
    {"name": "title", "type": "string", "description": "The product name"},
    {"name": "price", "type": "number", "description": "The price"},
]


@pytest.fixture(scope="module")
def llm() -> Iterator[tuple[FakeLlm, str]]:
    with serve_llm() as served:
        yield served


def ai_workflow(urls: list[str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": urls}},
            {"id": "ai", "type": "llm_extract", "data": {"fields": FIELDS}},
        ],
        "edges": [{"source": "start", "target": "ai"}],
    }


def usage(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.sqlalchemy_url.replace("+aiosqlite", ""))
    with engine.connect() as connection:
        row = connection.execute(text("SELECT executions, pages, rows, llm_tokens FROM usage_counters")).one()
    engine.dispose()
    return dict(row._mapping)


async def test_llm_tokens_count_against_the_key_that_paid(
    api: httpx.AsyncClient,
    processes: Processes,
    pipeline_settings: Settings,
    shop: str,
    shop_app: SiteApp,
    llm: tuple[FakeLlm, str],
) -> None:
    fake, base_url = llm
    fake.requests.clear()
    processes.env = {"OPENAI_API_KEY": "sk-server-test", "OPENAI_BASE_URL": base_url, "OPENAI_MODEL": "fake-model"}
    processes.worker()
    headers = await sign_up(api)
    products = shop_app.catalog.products[:3]
    bot_id = await create_bot(api, headers, ai_workflow([f"{shop}{p.path}" for p in products]))

    paid_by_server = await wait_for(
        api, headers, (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"], processes
    )
    assert paid_by_server["status"] == "succeeded", paid_by_server
    rows = (await api.get(f"/api/v1/executions/{paid_by_server['id']}/result", headers=headers)).json()["items"]
    assert sorted(row["data"]["title"] for row in rows) == sorted(p.title for p in products)
    assert fake.calls >= 1 and paid_by_server["llm_tokens"] > 0
    counted = usage(pipeline_settings)
    assert counted == {"executions": 1, "pages": 3, "rows": 3, "llm_tokens": paid_by_server["llm_tokens"]}

    org_id = (await api.get("/api/v1/orgs", headers=headers)).json()[0]["id"]
    own = {"api_key": "sk-org-test-key-1234", "base_url": base_url, "model": "other-model"}
    assert (await api.put(f"/api/v1/orgs/{org_id}/llm", json=own, headers=headers)).status_code == 200
    other = [f"{shop}{p.path}" for p in shop_app.catalog.products[10:12]]
    bot_id = await create_bot(api, headers, ai_workflow(other))
    paid_by_organization = await wait_for(
        api, headers, (await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)).json()["id"], processes
    )
    assert paid_by_organization["status"] == "succeeded", paid_by_organization
    assert paid_by_organization["llm_tokens"] > 0
    after = usage(pipeline_settings)
    assert after["llm_tokens"] == counted["llm_tokens"]  # the organization's own key: not on its plan
    assert after["executions"] == 2 and after["pages"] == 5


async def test_ai_extraction_stops_at_the_executions_token_cap(
    processes: Processes, pipeline_settings: Settings, shop: str, shop_app: SiteApp, llm: tuple[FakeLlm, str]
) -> None:
    """The cap is checked against the tokens really spent, page by page: once a page's extraction has spent
    past it, the pages left are not sent to the LLM and the execution ends `partially_succeeded`, saying why.
    (With a 1-token estimate per page, the estimate lets every page be scraped.)"""
    fake, base_url = llm
    processes.env = {"OPENAI_API_KEY": "sk-server-test", "OPENAI_BASE_URL": base_url, "OPENAI_MODEL": "fake-model"}
    processes.worker()
    app = create_app(pipeline_settings.model_copy(update={"estimate_llm_tokens_per_page": 1}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as api:
            headers = await sign_up(api)
            urls = [f"{shop}{product.path}" for product in shop_app.catalog.products[20:24]]
            bot_id = await create_bot(api, headers, ai_workflow(urls))
            calls = fake.calls
            started = await api.post(f"/api/v1/bots/{bot_id}/execute", json={"max_tokens": 10}, headers=headers)
            assert started.status_code == 202, started.text
            execution = await wait_for(api, headers, started.json()["id"], processes)

    assert execution["status"] == "partially_succeeded", execution
    assert execution["error_code"] == "CAP_REACHED"
    assert "10 LLM tokens" in execution["error_message"]
    assert execution["pages_done"] == 4
    assert fake.calls == calls + 1  # the first page's extraction went past the cap; the other three were not sent
    assert execution["llm_tokens"] > 10
    assert execution["rows_count"] == 1
