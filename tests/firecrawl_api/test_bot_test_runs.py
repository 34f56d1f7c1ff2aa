"""Test runs of bots whose fetcher is Firecrawl: the page and the `map` node go through the Firecrawl server
(ScrapeFlow's own Firecrawl API on a socket, which counts the calls it gets), never straight to the site."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from scrapeflow.config import Settings
from scrapeflow.main import create_app
from tests.conftest import SHOP_SIZE, PostgresDatabases, make_settings, migrate, new_database_url
from tests.factories import make_user
from tests.firecrawl_api.conftest import ScrapeFlowServer, serve_app, sign_up
from tests.site.catalog import Catalog

CATALOG = Catalog(size=SHOP_SIZE)


class CountingApp:
    """The Firecrawl server's app, counting the requests per path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def firecrawl(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> Iterator[tuple[ScrapeFlowServer, CountingApp]]:
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    tmp = tmp_path_factory.mktemp(f"firecrawl-counting-{backend}")
    own = make_settings(tmp, new_database_url(backend, tmp, postgres_databases), fetch_allowlist="127.0.0.1")
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(own, monkeypatch)
    counting = CountingApp(create_app(own))
    with serve_app(counting) as base_url:  # type: ignore[arg-type]
        token, key = sign_up(base_url)
        yield ScrapeFlowServer(base_url, own, key, token), counting


@pytest.fixture
def counting(firecrawl: tuple[ScrapeFlowServer, CountingApp], app: Any, settings: Settings) -> CountingApp:
    server, counter = firecrawl
    app.state.settings = settings.model_copy(
        update={
            "firecrawl_api_url": server.base_url,
            "firecrawl_api_key": server.api_key,
            "fetch_allowlist": "127.0.0.1",
            "test_run_timeout_seconds": 20,
        }
    )
    counter.paths.clear()
    return counter


def bot_body(shop: str, *, fetcher: str, map_node: bool) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "start", "data": {"urls": [f"{shop}/products?page=1"]}}]
    if map_node:
        nodes.append({"id": "map", "type": "map", "data": {"limit": 10, "include": ["*/products/*"]}})
    fields = [
        {"name": "title", "selector": "h1.product-title"},
        {"name": "price", "selector": ".offer .price", "type": "price"},
    ]
    nodes.append({"id": "extract", "type": "extract", "data": {"fields": fields}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"name": "via Firecrawl", "workflow_json": {"nodes": nodes, "edges": edges}, "fetch": {"fetcher": fetcher}}


async def test_a_firecrawl_bot_test_runs_through_firecrawl(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str, counting: CountingApp
) -> None:
    editor = await make_user(session, settings)
    product = CATALOG.products[11]
    bot = (
        await client.post(
            "/api/v1/bots", json=bot_body(shop, fetcher="firecrawl", map_node=False), headers=editor.headers
        )
    ).json()
    run = (
        await client.post(
            f"/api/v1/bots/{bot['id']}/test", json={"url": f"{shop}{product.path}"}, headers=editor.headers
        )
    ).json()
    assert run["ok"] is True, run
    assert run["fetcher"] == "firecrawl"
    assert run["rows"] == [{"title": product.title, "price": float(product.price), "price_currency": product.currency}]
    assert counting.paths["/v2/scrape"] == 1

    # The same bot on ScrapeFlow's own engine does not touch Firecrawl.
    await client.put(f"/api/v1/bots/{bot['id']}", json={"fetch": {"fetcher": "builtin"}}, headers=editor.headers)
    builtin = (
        await client.post(
            f"/api/v1/bots/{bot['id']}/test", json={"url": f"{shop}{product.path}"}, headers=editor.headers
        )
    ).json()
    assert builtin["ok"] is True and builtin["fetcher"] == "builtin"
    assert builtin["rows"] == run["rows"]
    assert counting.paths["/v2/scrape"] == 1


async def test_the_map_node_of_a_firecrawl_bot_uses_firecrawls_map(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str, counting: CountingApp
) -> None:
    editor = await make_user(session, settings)
    bot = (
        await client.post(
            "/api/v1/bots", json=bot_body(shop, fetcher="firecrawl", map_node=True), headers=editor.headers
        )
    ).json()
    run = (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=editor.headers)).json()
    assert run["ok"] is True, run
    mapped = next(node for node in run["nodes"] if node["type"] == "map")
    assert mapped["values"]["found_by"] == "Firecrawl's map"
    urls = mapped["values"]["urls"]
    assert len(urls) == 10 and all("/products/" in url for url in urls)  # product pages only (the include glob)
    assert counting.paths["/v2/map"] == 1
    # The page tested is the first one found, fetched through Firecrawl's scrape.
    assert run["url"] == urls[0]
    assert counting.paths["/v2/scrape"] == 1
    assert run["rows"][0]["title"] in {product.title for product in CATALOG.products}


async def test_a_firecrawl_bot_on_a_server_without_firecrawl_says_so(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    bot = (
        await client.post(
            "/api/v1/bots", json=bot_body(shop, fetcher="firecrawl", map_node=False), headers=editor.headers
        )
    ).json()
    run = (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=editor.headers)).json()
    assert run["ok"] is False
    assert "FIRECRAWL_API_URL" in run["error"]["message"]
