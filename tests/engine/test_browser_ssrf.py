"""The SSRF guard in the browser: not only the page's URL but every request it makes (images, fetches,
iframes, redirect hops) is refused when it leads to an address FETCH_ALLOWLIST does not list. The
"private" server here listens on 127.0.0.2, which only 127.0.0.1 being allowlisted leaves forbidden."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from scrapeflow.engine.browser.options import BrowserOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.browser.proxy import BLOCKED_HEADER, GuardProxy
from scrapeflow.engine.browser.routing import is_tracker
from scrapeflow.engine.errors import ErrorCode
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from tests.engine.browser_support import ALLOW_LOCAL, BROWSER, plan
from tests.site import SiteApp, create_site, serve_site

TITLE = plan(("extract", {"fields": [{"name": "title", "selector": "h1.title"}]})).page_steps


@pytest.fixture(scope="module")
def private_site() -> SiteApp:
    return create_site(size=24)


@pytest.fixture(scope="module")
def private(private_site: SiteApp) -> Iterator[str]:
    with serve_site(private_site, host="127.0.0.2") as url:
        yield url


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    async with BrowserPool(BROWSER) as pool:
        yield pool


async def test_sub_requests_to_a_private_address_never_leave_the_browser(
    pool: BrowserPool, shop: str, private: str, private_site: SiteApp
) -> None:
    async with httpx.AsyncClient() as client:  # the private server is up and reachable directly
        assert (await client.get(f"{private}/")).status_code == 200
    private_site.reset()
    refusals = pool.proxy.refusals
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/private?target={private}", TITLE)
    assert page.error is None, page.error
    assert page.work.rows == [{"title": "Resources"}]
    assert dict(private_site.state.hits) == {}
    refused = [entry for entry in page.blocked if entry.startswith("refused:")]
    for path in ("/pixel.png", "/api/data", "/frame.html"):
        assert f"refused: {private}{path}" in refused
    # The redirect hop is never shown to route interception; the guard proxy refused it.
    assert pool.proxy.refusals > refusals
    assert private.removeprefix("http://") in pool.proxy.blocked


async def test_pages_on_private_addresses_are_refused(
    pool: BrowserPool, shop: str, private: str, private_site: SiteApp
) -> None:
    private_site.reset()
    async with pool.session() as session:
        direct = await session.render(f"{private}/", TITLE)
        redirected = await session.render(f"{shop}/redirect-to?url={private}/", TITLE)
        clicked = await session.render(
            f"{shop}/js/private?target={private}", plan(("click", {"selector": "a.private-link"})).page_steps
        )
    assert direct.error is not None and direct.error.code == ErrorCode.BLOCKED_BY_POLICY
    assert redirected.error is not None and redirected.error.code == ErrorCode.BLOCKED_BY_POLICY
    assert "FETCH_ALLOWLIST" in redirected.error.message
    assert clicked.final_url is None or not clicked.final_url.startswith(private)
    assert dict(private_site.state.hits) == {}


async def test_an_allowlisted_network_is_reached(shop: str, private: str, private_site: SiteApp) -> None:
    """The control: with 127.0.0.0/8 allowlisted, the same page does reach the other server."""
    private_site.reset()
    options = BrowserOptions(allowlist=FetchAllowlist.parse("127.0.0.0/8"), contexts=1, page_timeout=15)
    async with BrowserPool(options) as pool, pool.session() as session:
        page = await session.render(f"{shop}/js/private?target={private}", TITLE)
    assert page.error is None, page.error
    hits = private_site.state.hits
    assert hits["/pixel.png"] == 1 and hits["/redirected.png"] == 1 and hits["/api/data"] == 1


async def test_the_guard_proxy_vets_every_connection(shop: str, private: str, private_site: SiteApp) -> None:
    """What Chromium's traffic goes through, driven here by httpx: allowed hosts pass (one request per
    connection), private ones get a 403 marked as ScrapeFlow's, tunnels to them are refused."""
    private_site.reset()
    proxy = GuardProxy(SsrfGuard(ALLOW_LOCAL))
    url = await proxy.start()
    try:
        async with httpx.AsyncClient(proxy=url) as client:
            allowed = await client.get(f"{shop}/products?page=1")
            refused = await client.get(f"{private}/")
            with pytest.raises(httpx.ProxyError):
                await client.get(f"https://{private.removeprefix('http://')}/")
    finally:
        await proxy.close()
    assert allowed.status_code == 200 and "product-card" in allowed.text
    assert allowed.headers["connection"] == "close"
    assert refused.status_code == 403 and refused.headers[BLOCKED_HEADER] == "1"
    assert "FETCH_ALLOWLIST" in refused.text
    assert proxy.refusals == 2
    assert dict(private_site.state.hits) == {}


def test_trackers_are_recognised_by_domain() -> None:
    assert is_tracker("www.google-analytics.com") and is_tracker("connect.facebook.net")
    assert not is_tracker("example.com") and not is_tracker("notgoogle-analytics.com")
