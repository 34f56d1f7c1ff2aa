"""A bot's own proxies in the browser: a run's pages leave Chromium through the guard proxy and then through the
bot's proxies (credentials included), CONNECT tunnels too, while the address policy still holds for the targets
and for the proxies themselves. The bot's proxy is a local forward proxy (tests/engine/forward_proxy.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from scrapeflow.engine.browser.options import SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.browser.proxy import BLOCKED_HEADER, GuardProxy
from scrapeflow.engine.ssrf import SsrfGuard
from tests.conftest import SHOP_SIZE
from tests.engine.browser_support import ALLOW_LOCAL, BROWSER, CARDS, plan
from tests.engine.forward_proxy import ForwardProxy
from tests.site.catalog import Catalog

TITLES = [product.title for product in Catalog(size=SHOP_SIZE).products]


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    async with BrowserPool(BROWSER) as pool:
        yield pool


@pytest.fixture
async def bot_proxy() -> AsyncIterator[tuple[ForwardProxy, str]]:
    proxy = ForwardProxy(username="scraper", password="hunter 2")
    url = await proxy.start()
    yield proxy, url.replace("hunter 2", "hunter%202")
    await proxy.close()


async def test_rendered_pages_go_through_the_bots_proxies(
    pool: BrowserPool, shop: str, bot_proxy: tuple[ForwardProxy, str]
) -> None:
    proxy, url = bot_proxy
    steps = plan(("extract", CARDS)).page_steps
    async with pool.session(SessionOptions(proxies=(url,))) as session:
        page = await session.render(f"{shop}/js/products?page=1", steps)
    assert page.error is None, page.error
    assert [row["title"] for row in page.work.rows] == TITLES[:24]
    # The page and the JSON its script fetched both went through the bot's proxy, with its credentials.
    requested = [target for method, target in proxy.log if method == "GET"]
    assert f"{shop}/js/products?page=1" in requested
    assert f"{shop}/api/products?page=1" in requested
    assert proxy.refused == 0

    seen = len(proxy.log)
    async with pool.session() as session:  # another run, without proxies, leaves directly
        other = await session.render(f"{shop}/js/products?page=2", steps)
    assert other.error is None and len(proxy.log) == seen


async def raw_request(proxy_url: str, request: bytes) -> bytes:
    parts = urlsplit(proxy_url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_tunnels_are_opened_through_the_bots_proxy(shop: str, bot_proxy: tuple[ForwardProxy, str]) -> None:
    proxy, url = bot_proxy
    guard_proxy = GuardProxy(SsrfGuard(ALLOW_LOCAL), upstreams=[url])
    listen = await guard_proxy.start()
    authority = urlsplit(shop).netloc
    try:
        answer = await raw_request(
            listen,
            f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"
            f"GET /products?page=1 HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode(),
        )
    finally:
        await guard_proxy.close()
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200")
    assert TITLES[0].encode() in answer
    assert proxy.log == [("CONNECT", authority)]


async def test_the_address_policy_holds_for_targets_and_for_the_bots_proxies(
    bot_proxy: tuple[ForwardProxy, str],
) -> None:
    proxy, url = bot_proxy
    # The target is vetted before the proxy is used: a metadata address never reaches the bot's proxy.
    allowed_proxy = GuardProxy(SsrfGuard(ALLOW_LOCAL), upstreams=[url])
    # A proxy on our own network is refused unless FETCH_ALLOWLIST lists it.
    private_proxy = GuardProxy(SsrfGuard(), upstreams=[url])
    answers = []
    for guard_proxy, target in ((allowed_proxy, "169.254.169.254"), (private_proxy, "93.184.216.34")):
        listen = await guard_proxy.start()
        try:
            answers.append(
                await raw_request(listen, f"GET http://{target}/ HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            )
        finally:
            await guard_proxy.close()
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 403 Forbidden") and BLOCKED_HEADER.encode() in answer
    assert proxy.log == [] and proxy.refused == 0
