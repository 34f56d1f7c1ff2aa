"""`render: auto | http | browser`: auto stays on HTTP when the page has what the steps look for, renders when
a step needs a browser or the selectors match nothing over HTTP, and says which it used and why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from scrapeflow.engine.browser.options import RenderedPage
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.browser.session import BrowserSession
from scrapeflow.engine.errors import ErrorCode
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.runner import Rendering, crawl, process_page
from scrapeflow.engine.steps import NextPage
from scrapeflow.workflow.plan import Step
from tests.conftest import SHOP_SIZE
from tests.engine.browser_support import BROWSER, CARDS, HTTP, plan
from tests.site.catalog import PER_PAGE, Catalog

CATALOG = Catalog(size=SHOP_SIZE)


class CountingBrowser:
    """A BrowserSession that counts the pages it renders."""

    def __init__(self, session: BrowserSession) -> None:
        self.session = session
        self.rendered: list[str] = []

    async def render(self, url: str, steps: tuple[Step, ...], start: int = 0, page_number: int = 1) -> RenderedPage:
        self.rendered.append(url)
        return await self.session.render(url, steps, start, page_number)


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    async with BrowserPool(BROWSER) as pool:
        yield pool


@pytest.fixture
async def browser(pool: BrowserPool) -> AsyncIterator[CountingBrowser]:
    async with pool.session() as session:
        yield CountingBrowser(session)


async def test_auto_stays_on_http_for_a_static_page(browser: CountingBrowser, shop: str) -> None:
    async with HttpFetcher(HTTP) as fetcher:
        page = await process_page(
            fetcher,
            plan(("extract", CARDS)),
            NextPage(f"{shop}/products?page=1", 0),
            rendering=Rendering("auto", browser),
        )
    assert page.ok and len(page.rows) == PER_PAGE
    assert (page.render, page.render_reason) == ("http", "the page had what the steps look for over HTTP")
    assert browser.rendered == []


async def test_auto_renders_a_javascript_list_and_remembers_it(browser: CountingBrowser, shop: str) -> None:
    steps = plan(("paginate", {"next_selector": "a[rel=next]", "max_pages": 10}), ("extract", CARDS))
    rendering = Rendering("auto", browser)
    async with HttpFetcher(HTTP) as fetcher:
        pages = [page async for page in crawl(fetcher, steps, urls=[f"{shop}/js/products?page=1"], rendering=rendering)]
    assert all(page.ok for page in pages), [page.error for page in pages]
    titles = sorted(row["title"] for page in pages for row in page.rows)
    assert titles == sorted(product.title for product in CATALOG.products)
    first, *later = sorted(pages, key=lambda page: page.page_number)
    assert first.render == "browser"
    assert first.render_reason == "the selectors matched nothing over HTTP but did after rendering"
    assert len(later) == CATALOG.page_count() - 1
    assert all(page.render == "browser" and "earlier page like this one" in page.render_reason for page in later)
    assert len(browser.rendered) == CATALOG.page_count()  # and no page was tried over HTTP twice


async def test_auto_uses_the_browser_for_browser_steps(browser: CountingBrowser, shop: str) -> None:
    steps = plan(("scroll", {"item_selector": ".product-card", "times": 1}), ("extract", CARDS))
    async with HttpFetcher(HTTP) as fetcher:
        page = await process_page(
            fetcher, steps, NextPage(f"{shop}/js/infinite", 0), rendering=Rendering("auto", browser)
        )
    assert page.ok and page.render == "browser"
    assert page.render_reason == "the step n0 (scroll) needs a browser"
    assert len(page.rows) == 2 * PER_PAGE


async def test_auto_keeps_http_when_rendering_finds_nothing_either(browser: CountingBrowser, shop: str) -> None:
    steps = plan(("extract", {"fields": [{"name": "nothing", "selector": ".no-such-thing"}]}))
    async with HttpFetcher(HTTP) as fetcher:
        page = await process_page(
            fetcher, steps, NextPage(f"{shop}/table.html", 0), rendering=Rendering("auto", browser)
        )
    assert page.ok and page.render == "http"
    assert page.render_reason == "the selectors matched nothing, over HTTP or after rendering"
    assert browser.rendered == [f"{shop}/table.html"]


async def test_the_bot_setting_overrides_auto(browser: CountingBrowser, shop: str) -> None:
    clicking = plan(("click", {"selector": "button.load-more"}), ("extract", CARDS))
    async with HttpFetcher(HTTP) as fetcher:
        rendered = await process_page(
            fetcher,
            plan(("extract", CARDS)),
            NextPage(f"{shop}/products?page=1", 0),
            rendering=Rendering("browser", browser),
        )
        http = await process_page(
            fetcher, clicking, NextPage(f"{shop}/js/load-more", 0), rendering=Rendering("http", browser)
        )
    assert rendered.ok and rendered.render == "browser" and len(rendered.rows) == PER_PAGE
    assert rendered.render_reason == "the bot is set to render in the browser"
    assert rendered.content_hash is not None
    assert http.render == "http" and http.error is not None and http.error.code == ErrorCode.NAVIGATION_ERROR
    assert "needs a real browser" in http.error.message
    assert browser.rendered == [f"{shop}/products?page=1"]


async def test_robots_txt_applies_to_rendered_pages(browser: CountingBrowser, shop: str) -> None:
    async with HttpFetcher(HTTP) as fetcher:
        page = await process_page(
            fetcher,
            plan(("extract", CARDS)),
            NextPage(f"{shop}/private/secret.html", 0),
            rendering=Rendering("browser", browser),
        )
    assert page.error is not None and page.error.code == ErrorCode.ROBOTS_DISALLOWED
    assert browser.rendered == []


async def test_a_failed_page_does_not_stop_the_run(browser: CountingBrowser, shop: str) -> None:
    urls = [f"{shop}/gone", f"{shop}/download.bin", f"{shop}/js/products?page=1"]
    async with HttpFetcher(HTTP) as fetcher:
        pages = {
            page.url: page
            async for page in crawl(
                fetcher, plan(("extract", CARDS)), urls=urls, rendering=Rendering("browser", browser)
            )
        }
    assert pages[urls[0]].error is not None and pages[urls[0]].error.code == ErrorCode.HTTP_ERROR
    assert pages[urls[1]].error is not None and pages[urls[1]].error.code == ErrorCode.UNSUPPORTED_CONTENT
    assert pages[urls[2]].ok and len(pages[urls[2]].rows) == PER_PAGE
