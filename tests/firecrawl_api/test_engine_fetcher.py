"""The engine's Firecrawl fetcher, with ScrapeFlow's own Firecrawl-compatible API as the Firecrawl server
(FIRECRAWL_API_URL pointing at it), fetching the test shop."""

from __future__ import annotations

import json
import socket

import pytest

from scrapeflow.bots.fetch_settings import FetchSettings
from scrapeflow.bots.fetchers import fetcher_for, firecrawl_options
from scrapeflow.config import Settings
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.firecrawl import FirecrawlFetcher, FirecrawlOptions
from scrapeflow.engine.runner import process_page
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.engine.steps import NextPage
from scrapeflow.workflow.compiler import compile_workflow
from tests.conftest import SHOP_SIZE
from tests.firecrawl_api.conftest import ScrapeFlowServer
from tests.site.catalog import Catalog

CATALOG = Catalog(size=SHOP_SIZE)
PRODUCT = CATALOG.products[7]
FIRECRAWL = FetchSettings(fetcher="firecrawl")


def with_firecrawl(server: ScrapeFlowServer, **overrides: object) -> Settings:
    """Settings of a ScrapeFlow server whose bots fetch through `server`'s Firecrawl API."""
    values = {"firecrawl_api_url": server.base_url, "firecrawl_api_key": server.api_key, "fetch_allowlist": "127.0.0.1"}
    return server.settings.model_copy(update=values | overrides)


def extract_product(url: str) -> dict[str, object]:
    fields = [
        {"name": "title", "selector": "h1.product-title"},
        {"name": "price", "selector": ".offer .price", "type": "price"},
        {"name": "sku", "selector": "Product.sku", "selector_type": "jsonld"},
    ]
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": [url]}},
            {"id": "extract", "type": "extract", "data": {"fields": fields}},
        ],
        "edges": [{"source": "start", "target": "extract"}],
    }


async def test_fetch_a_product_page_and_extract_it(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    url = f"{shop}{PRODUCT.path}"
    plan = compile_workflow(extract_product(url))
    async with fetcher_for(with_firecrawl(scrapeflow_server), FIRECRAWL, retries=0) as fetcher:
        assert isinstance(fetcher, FirecrawlFetcher)
        page = await fetcher.fetch(url)
        result = await process_page(fetcher, plan, NextPage(url, 0))
    assert (page.status, page.final_url, page.content_type) == (200, url, "text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    assert result.error is None
    [row] = result.rows
    assert (row["title"], row["price"], row["sku"]) == (PRODUCT.title, float(PRODUCT.price), PRODUCT.sku)


async def test_map_returns_the_product_urls(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    async with fetcher_for(with_firecrawl(scrapeflow_server), FIRECRAWL) as fetcher:
        assert isinstance(fetcher, FirecrawlFetcher)
        urls = await fetcher.map_urls(shop, limit=1000)
        lamps = await fetcher.map_urls(shop, limit=3, search="lamp")
    assert {f"{shop}{product.path}" for product in CATALOG.products} <= set(urls)
    assert 0 < len(lamps) <= 3
    assert all("lamp" in url for url in lamps)


async def test_the_bots_headers_and_cookies_reach_the_site(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    options = {"headers": {"X-Team": "pricing"}, "cookies": {"session": "abc"}, "user_agent": "PriceBot/2"}
    async with fetcher_for(with_firecrawl(scrapeflow_server), FIRECRAWL, **options) as fetcher:
        page = await fetcher.fetch(f"{shop}/headers")
    echoed = json.loads(page.text)
    assert echoed["headers"]["x-team"] == "pricing"
    assert echoed["headers"]["user-agent"] == "PriceBot/2"
    assert echoed["cookies"] == {"session": "abc"}


async def test_failures_become_engine_errors(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    settings = with_firecrawl(scrapeflow_server)
    async with fetcher_for(settings, FIRECRAWL, retries=0) as fetcher:
        with pytest.raises(EngineError) as missing:
            await fetcher.fetch(f"{shop}/status/404")
        assert (missing.value.code, missing.value.status) == (ErrorCode.HTTP_ERROR, 404)
        # Our guard refuses before anything goes to Firecrawl.
        with pytest.raises(EngineError) as private:
            await fetcher.fetch("http://169.254.169.254/latest/meta-data/")
        assert private.value.code is ErrorCode.BLOCKED_BY_POLICY
    # Allowed here but not by the Firecrawl server: its refusal comes back with its code and sentence.
    wider = firecrawl_options(settings, retries=0, allowlist=FetchAllowlist.parse("127.0.0.1, 10.0.0.0/8"))
    async with FirecrawlFetcher(wider) as fetcher:
        with pytest.raises(EngineError) as refused:
            await fetcher.fetch("http://10.1.2.3/")
    assert refused.value.code is ErrorCode.BLOCKED_BY_POLICY
    assert "FETCH_ALLOWLIST" in refused.value.message


async def test_firecrawl_trouble_becomes_engine_errors(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    bad_key = with_firecrawl(scrapeflow_server, firecrawl_api_key="sf_not-a-key")
    async with fetcher_for(bad_key, FIRECRAWL, retries=0) as fetcher:
        with pytest.raises(EngineError) as refused:
            await fetcher.fetch(f"{shop}/")
    assert refused.value.code is ErrorCode.NAVIGATION_ERROR
    assert "FIRECRAWL_API_KEY" in refused.value.message
    assert not refused.value.retryable

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
        options = FirecrawlOptions(api_url=nowhere, retries=0, allowlist=FetchAllowlist.parse("127.0.0.1"))
        async with FirecrawlFetcher(options) as fetcher:
            with pytest.raises(EngineError) as unreachable:
                await fetcher.fetch(f"{shop}/")
    assert unreachable.value.code is ErrorCode.NAVIGATION_ERROR
    assert unreachable.value.retryable


def test_bots_use_the_builtin_engine_unless_they_ask_for_firecrawl(scrapeflow_server: ScrapeFlowServer) -> None:
    settings = with_firecrawl(scrapeflow_server)
    assert isinstance(fetcher_for(settings, FetchSettings()), HttpFetcher)
    assert isinstance(fetcher_for(settings, FIRECRAWL), FirecrawlFetcher)
    unconfigured = settings.model_copy(update={"firecrawl_api_url": "", "firecrawl_api_key": ""})
    with pytest.raises(EngineError, match="no Firecrawl configured"):
        fetcher_for(unconfigured, FIRECRAWL)
