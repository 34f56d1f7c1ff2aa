"""Every page node in Chromium, on the test site's scripted pages; and how a page fails (selector timeout, time
limit) or misbehaves (dialogs, pop-ups, downloads, navigating away). One browser pool for the module."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest

from scrapeflow.engine.browser.options import SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.errors import ErrorCode
from tests.conftest import SHOP_SIZE
from tests.engine.browser_support import BROWSER, CARDS, chromium_processes, plan, wait_until_gone
from tests.site.catalog import PER_PAGE, Catalog
from tests.site.scripted import NAVIGATE_AWAY_TO, tab_data

CATALOG = Catalog(size=SHOP_SIZE)
TITLES = [product.title for product in CATALOG.products]


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    pool = BrowserPool(BROWSER)
    await pool.start()
    seen = set(chromium_processes())
    assert seen, "Chromium should be running"
    try:
        yield pool
    finally:
        seen |= set(chromium_processes())
        await pool.close()
        assert wait_until_gone(seen) == set(), "Chromium processes outlived the pool"


async def test_extract_reads_the_list_rendered_by_javascript(pool: BrowserPool, shop: str) -> None:
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/products?page=2", plan(("extract", CARDS)).page_steps)
    assert page.error is None, page.error
    assert page.status == 200
    assert [row["title"] for row in page.work.rows] == TITLES[PER_PAGE : 2 * PER_PAGE]
    assert page.work.rows[0]["price"] == float(CATALOG.products[PER_PAGE].price)
    assert page.html is not None and "product-card" in page.html


async def test_navigate_wait_and_extract_after_a_delay(pool: BrowserPool, shop: str) -> None:
    steps = plan(
        ("navigate", {"url": f"{shop}/js/delayed?ms=600"}),
        ("wait", {"until": "networkidle", "selector": ".delayed-content"}),
        ("wait", {"ms": 50}),
        ("extract", CARDS),
    ).page_steps
    async with pool.session() as session:
        started = time.monotonic()
        page = await session.render(f"{shop}/", steps)
    assert page.error is None, page.error
    assert page.final_url == f"{shop}/js/delayed?ms=600"
    assert [row["title"] for row in page.work.rows] == TITLES[:1]
    assert time.monotonic() - started >= 0.6


async def test_extract_looks_again_for_content_rendered_late(pool: BrowserPool, shop: str) -> None:
    async with pool.session() as session:
        started = time.monotonic()
        late = await session.render(f"{shop}/js/delayed?ms=700", plan(("extract", CARDS)).page_steps)
        elapsed = time.monotonic() - started
    assert late.error is None, late.error
    assert [row["title"] for row in late.work.rows] == TITLES[:1]  # no wait step, yet not empty
    assert elapsed < 2.5


async def test_a_selector_that_never_appears_is_a_selector_timeout_naming_it(pool: BrowserPool, shop: str) -> None:
    steps = plan(("wait", {"selector": ".never-there"}), ("extract", CARDS)).page_steps
    async with pool.session(SessionOptions(page_timeout=2)) as session:
        started = time.monotonic()
        page = await session.render(f"{shop}/js/delayed", steps)
    assert page.error is not None and page.error.code == ErrorCode.SELECTOR_TIMEOUT
    assert ".never-there" in page.error.message
    assert time.monotonic() - started < 4
    assert page.work.outputs[0].error == page.error.message  # the test run shows it on the wait node


async def test_a_page_that_never_finishes_loading_stops_at_the_time_limit(pool: BrowserPool, shop: str) -> None:
    async with pool.session(SessionOptions(page_timeout=1.5)) as session:
        started = time.monotonic()
        page = await session.render(f"{shop}/js/never-loads", plan(("extract", CARDS)).page_steps)
        elapsed = time.monotonic() - started
        after = await session.render(f"{shop}/js/products?page=1", plan(("extract", CARDS)).page_steps)
    assert page.error is not None and page.error.code == ErrorCode.TIMEOUT
    assert 1.2 < elapsed < 3.5
    assert after.error is None and len(after.work.rows) == PER_PAGE  # the context is fine afterwards


async def test_scroll_until_no_new_items(pool: BrowserPool, shop: str) -> None:
    steps = plan(("scroll", {"item_selector": ".product-card"}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/infinite", steps)
    assert page.error is None, page.error
    assert [row["title"] for row in page.work.rows] == TITLES
    # One scroll per further page, and a last one that finds nothing new.
    assert page.work.outputs[0].values == {"scrolls": CATALOG.page_count(), "items": SHOP_SIZE}


async def test_scroll_a_number_of_times(pool: BrowserPool, shop: str) -> None:
    steps = plan(("scroll", {"times": 2, "until_no_new": False}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/infinite", steps)
    assert page.error is None, page.error
    assert page.work.outputs[0].values["scrolls"] == 2
    assert [row["title"] for row in page.work.rows] == TITLES[: 3 * PER_PAGE]


async def test_click_load_more(pool: BrowserPool, shop: str) -> None:
    steps = plan(("click", {"selector": "button.load-more"}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/load-more", steps)
    assert page.error is None, page.error
    assert [row["title"] for row in page.work.rows] == TITLES[: 2 * PER_PAGE]


async def test_paginate_by_clicking_a_button_keeps_each_row_once(pool: BrowserPool, shop: str) -> None:
    steps = plan(("paginate", {"next_selector": "button.load-more", "max_pages": 3}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/load-more", steps)
    assert page.error is None, page.error
    assert [row["title"] for row in page.work.rows] == TITLES[: 3 * PER_PAGE]
    assert page.work.outputs[0].values["pages"] == 3
    assert page.work.next_pages == []


async def test_paginate_by_link_or_url_pattern_schedules_the_next_pages(pool: BrowserPool, shop: str) -> None:
    steps = plan(("paginate", {"next_selector": "a[rel=next]", "max_pages": 5}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/products?page=1", steps)
    assert page.error is None, page.error
    assert [(item.url, item.step_index, item.page_number) for item in page.work.next_pages] == [
        (f"{shop}/js/products?page=2", 0, 2)
    ]
    assert len(page.work.rows) == PER_PAGE
    pattern = plan(
        ("paginate", {"url_pattern": f"{shop}/js/products?page={{page}}", "max_pages": 3}), ("extract", CARDS)
    )
    async with pool.session() as session:
        numbered = await session.render(f"{shop}/js/products?page=1", pattern.page_steps)
    assert [(item.url, item.step_index) for item in numbered.work.next_pages] == [
        (f"{shop}/js/products?page=2", 1),
        (f"{shop}/js/products?page=3", 1),
    ]


async def test_loop_clicks_each_tab_and_extracts_its_panel(pool: BrowserPool, shop: str) -> None:
    steps = plan(
        ("loop", {"selector": "[role=tab]"}),
        ("click", {"selector": "[role=tab]"}),
        (
            "extract",
            {
                "fields": [
                    {"name": "tab", "selector": ":scope"},
                    {"name": "heading", "selector": "#panel h2"},
                    {"name": "count", "selector": "#panel .count", "type": "number"},
                    {"name": "cheapest", "selector": "#panel .cheapest"},
                ]
            },
        ),
    ).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/tabs", steps)
    assert page.error is None, page.error
    expected = [
        {"tab": tab["name"], "heading": tab["name"], "count": tab["count"], "cheapest": tab["cheapest"]}
        for tab in tab_data(CATALOG)
    ]
    assert page.work.rows == expected
    assert page.work.outputs[0].values["elements"] == len(expected)


async def test_fill_types_values_and_secrets_without_showing_them(pool: BrowserPool, shop: str) -> None:
    secret = "s3cret-never-shown"
    steps = plan(
        ("fill", {"selector": "input[name=username]", "value": "someone"}),
        ("fill", {"selector": "input[name=password]", "secret": "site_password"}),
        ("click", {"selector": "button[type=submit]"}),
        ("extract", {"fields": [{"name": "error", "selector": ".error"}]}),
    ).page_steps
    async with pool.session(SessionOptions(secrets={"site_password": secret}.get)) as session:
        page = await session.render(f"{shop}/login", steps)
        missing = await session.render(
            f"{shop}/login", plan(("fill", {"selector": "input[name=password]", "secret": "other"})).page_steps
        )
    assert page.error is None, page.error
    assert page.work.rows == [{"error": "Wrong name or password."}]  # typed, submitted, refused
    assert page.work.outputs[0].values == {"selector": "input[name=username]", "characters": 7}
    assert page.work.outputs[1].values == {"selector": "input[name=password]", "secret": "site_password"}
    assert secret not in json.dumps([o.values for o in page.work.outputs]) + repr(page.notes) + repr(page.blocked)
    assert missing.error is not None and missing.error.code == ErrorCode.SECRET_MISSING
    assert "other" in missing.error.message


async def test_screenshots_and_har_are_returned_as_bytes(pool: BrowserPool, shop: str) -> None:
    steps = plan(("screenshot", {"full_page": True}), ("extract", CARDS)).page_steps
    options = SessionOptions(capture=frozenset({"screenshot", "har"}), block=frozenset({"images"}))
    async with pool.session(options) as session:
        page = await session.render(f"{shop}/js/products?page=1", steps)
    assert page.error is None, page.error
    kinds = {artifact.kind: artifact for artifact in page.artifacts}
    assert set(kinds) == {"screenshot", "page_screenshot", "har"}
    assert kinds["screenshot"].node_id == "n0" and kinds["screenshot"].data.startswith(b"\x89PNG")
    assert kinds["page_screenshot"].data.startswith(b"\x89PNG")
    har = json.loads(kinds["har"].data)
    requested = [entry["request"]["url"] for entry in har["log"]["entries"]]
    assert f"{shop}/js/products?page=1" in requested and f"{shop}/api/products?page=1" in requested


async def test_blocked_resource_types_are_not_requested(pool: BrowserPool, shop: str) -> None:
    async with pool.session(SessionOptions(block=frozenset({"images"}))) as session:
        title = {"fields": [{"name": "title", "selector": "h1.product-title"}]}
        page = await session.render(f"{shop}/malformed.html", plan(("extract", title)).page_steps)
    assert page.error is None, page.error
    assert page.work.rows == [{"title": CATALOG.products[0].title}]
    assert any("skipped:" in entry and "missing.png" in entry for entry in page.blocked)


async def test_dialogs_are_dismissed_and_popups_closed(pool: BrowserPool, shop: str) -> None:
    fields = {"fields": [{"name": "answer", "selector": "#answer"}, {"name": "popup", "selector": "#popup"}]}
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/dialog", plan(("extract", fields)).page_steps)
    assert page.error is None, page.error
    assert page.work.rows == [{"answer": "dismissed", "popup": "opened"}]
    assert any("Accept cookies?" in note for note in page.notes)
    assert any("pop-up" in note and "/js/popup" in note for note in page.notes)
    assert pool.open_contexts <= BROWSER.contexts


async def test_downloads_are_refused(pool: BrowserPool, shop: str) -> None:
    fields = {"fields": [{"name": "status", "selector": ".status"}]}
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/download", plan(("extract", fields)).page_steps)
        file = await session.render(f"{shop}/download.bin", plan(("extract", fields)).page_steps)
    assert page.error is None and page.work.rows == [{"status": "Your download starts automatically."}]
    assert file.error is not None and file.error.code == ErrorCode.UNSUPPORTED_CONTENT


async def test_a_page_that_navigates_away_is_followed(pool: BrowserPool, shop: str) -> None:
    steps = plan(("wait", {"selector": ".product-card"}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/navigate-away", steps)
    assert page.error is None, page.error
    assert page.final_url == f"{shop}{NAVIGATE_AWAY_TO}"
    assert [row["title"] for row in page.work.rows] == TITLES[PER_PAGE : 2 * PER_PAGE]


async def test_http_errors_are_reported_like_over_http(pool: BrowserPool, shop: str) -> None:
    async with pool.session() as session:
        page = await session.render(f"{shop}/gone", plan(("extract", CARDS)).page_steps)
    assert page.error is not None and page.error.code == ErrorCode.HTTP_ERROR and page.error.status == 404
