"""Test runs from the editor: one page, every node's output, against the test shop over a real socket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from tests.conftest import SHOP_SIZE
from tests.factories import make_user
from tests.site.catalog import Catalog

CATALOG = Catalog(size=SHOP_SIZE)


@pytest.fixture
def allow_local(app: Any, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1", "test_run_timeout_seconds": 10})


def list_workflow(shop: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": [f"{shop}/products?page=1"]}},
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
            {"id": "cheap", "type": "filter", "data": {"field": "price", "op": "lt", "value": 30}},
        ],
        "edges": [{"source": "start", "target": "cards"}, {"source": "cards", "target": "cheap"}],
    }


@pytest.mark.usefixtures("allow_local")
async def test_unsaved_workflow_test_run_shows_each_node(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    response = await client.post(
        "/api/v1/bots/test", json={"workflow_json": list_workflow(shop)}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["ok"] is True
    assert run["status"] == 200
    nodes = {node["node_id"]: node for node in run["nodes"]}
    assert [node["type"] for node in run["nodes"]] == ["start", "extract", "filter"]
    assert len(nodes["cards"]["rows"]) == 24
    cheap = [product.title for product in CATALOG.products[:24] if product.price < 30]
    assert cheap
    assert [row["title"] for row in run["rows"]] == cheap
    assert nodes["cheap"]["rows"] == run["rows"]
    assert all(node["elapsed_ms"] >= 0 for node in run["nodes"])


@pytest.mark.usefixtures("allow_local")
async def test_saved_bot_test_run_on_a_given_url_and_failures(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    bot = (
        await client.post(
            "/api/v1/bots", json={"name": "shop", "workflow_json": list_workflow(shop)}, headers=editor.headers
        )
    ).json()
    page2 = await client.post(
        f"/api/v1/bots/{bot['id']}/test", json={"url": f"{shop}/products?page=2"}, headers=editor.headers
    )
    titles = [row["title"] for row in page2.json()["nodes"][1]["rows"]]
    assert titles == [p.title for p in CATALOG.products[24:48]]

    gone = await client.post(f"/api/v1/bots/{bot['id']}/test", json={"url": f"{shop}/gone"}, headers=editor.headers)
    assert gone.status_code == 200
    assert gone.json()["ok"] is False
    assert gone.json()["error"]["code"] == "HTTP_ERROR"


async def test_private_addresses_are_refused_without_the_allowlist(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    response = await client.post(
        "/api/v1/bots/test", json={"workflow_json": list_workflow(shop)}, headers=editor.headers
    )
    assert response.json()["error"]["code"] == "BLOCKED_BY_POLICY"


async def test_invalid_workflow_is_a_422(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    editor = await make_user(session, settings)
    response = await client.post(
        "/api/v1/bots/test", json={"workflow_json": {"nodes": [], "edges": []}}, headers=editor.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_workflow"


@pytest.mark.usefixtures("allow_local")
async def test_a_javascript_page_is_rendered_and_the_run_says_why(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    workflow = list_workflow(shop)
    workflow["nodes"][0]["data"]["urls"] = [f"{shop}/js/products?page=1"]
    workflow["nodes"].insert(1, {"id": "shot", "type": "screenshot", "data": {}})
    _start_to_cards, *rest = workflow["edges"]  # start → shot → cards instead
    workflow["edges"] = [{"source": "start", "target": "shot"}, {"source": "shot", "target": "cards"}, *rest]
    response = await client.post("/api/v1/bots/test", json={"workflow_json": workflow}, headers=editor.headers)
    run = response.json()
    assert run["ok"] is True, run
    assert run["render"] == "browser"
    assert run["render_reason"] == "the step shot (screenshot) needs a browser"
    nodes = {node["node_id"]: node for node in run["nodes"]}
    assert nodes["shot"]["values"]["image"].startswith("data:image/png;base64,")
    assert [row["title"] for row in nodes["cards"]["rows"]] == [p.title for p in CATALOG.products[:24]]


def llm_workflow(url: str) -> dict[str, Any]:
    fields = [
        {"name": "title", "type": "string", "description": "The product name"},
        {"name": "price", "type": "number", "description": "The price"},
    ]
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": [url]}},
            {"id": "ai", "type": "llm_extract", "data": {"fields": fields}},
        ],
        "edges": [{"source": "start", "target": "ai"}],
    }


@pytest.mark.usefixtures("allow_local")
async def test_ai_extraction_without_a_key_is_deterministic_and_says_so(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    product = CATALOG.products[2]
    workflow = llm_workflow(f"{shop}/products/{product.slug}.html")
    run = (await client.post("/api/v1/bots/test", json={"workflow_json": workflow}, headers=editor.headers)).json()
    assert run["ok"] is True, run
    assert run["rows"] == [{"title": product.title, "price": float(product.price)}]
    ai = next(node for node in run["nodes"] if node["type"] == "llm_extract")
    assert ai["values"]["llm_used"] is False
    assert set(ai["values"]["paths"].values()) == {"deterministic"}


@pytest.mark.usefixtures("allow_local")
async def test_ai_extraction_with_the_organizations_own_key(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    from tests.engine.llm_server import serve_llm

    editor = await make_user(session, settings)
    product = CATALOG.products[4]
    with serve_llm() as (_fake, base_url):
        llm = {"api_key": "sk-org-test-key-1234", "base_url": base_url, "model": "fake-model"}
        await client.put(f"/api/v1/orgs/{editor.user.default_org_id}/llm", json=llm, headers=editor.headers)
        workflow = llm_workflow(f"{shop}/products/{product.slug}.html")
        run = (await client.post("/api/v1/bots/test", json={"workflow_json": workflow}, headers=editor.headers)).json()
    assert run["ok"] is True, run
    assert run["rows"][0]["title"] == product.title
    ai = next(node for node in run["nodes"] if node["type"] == "llm_extract")
    assert ai["values"]["llm_used"] is True
    assert ai["values"]["llm_calls"] == 1
    assert ai["values"]["model"] == "fake-model"


@pytest.mark.usefixtures("allow_local")
@pytest.mark.parametrize("render", ["http", "browser"])
async def test_a_bots_own_proxies_carry_its_pages_over_http_and_in_the_browser(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str, render: str
) -> None:
    from tests.engine.forward_proxy import ForwardProxy

    proxy = ForwardProxy(username="scraper", password="hunter2")
    proxy_url = await proxy.start()
    try:
        editor = await make_user(session, settings)
        body = {
            "name": "proxied",
            "workflow_json": list_workflow(shop),
            "fetch": {"proxies": [proxy_url], "render": render},
        }
        bot = (await client.post("/api/v1/bots", json=body, headers=editor.headers)).json()
        assert bot["fetch"]["proxy_hosts"] == [proxy_url.rsplit("@", 1)[1]]
        run = (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=editor.headers)).json()
    finally:
        await proxy.close()
    assert run["ok"] is True, run
    assert run["render"] == render
    assert len(run["nodes"][1]["rows"]) == 24
    assert ("GET", f"{shop}/products?page=1") in proxy.log
    assert proxy.refused == 0
