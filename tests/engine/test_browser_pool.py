"""The browser pool: contexts reused across pages and bounded, a login done once per run and its cookies and
local storage carried to later pages, crashed renderers and browsers replaced with the page retried, and no
Chromium process left behind."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from scrapeflow.engine.browser.options import SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.runner import PageResult, Rendering, crawl
from scrapeflow.workflow.plan import Plan
from tests.engine.browser_support import (
    BROWSER,
    CARDS,
    HTTP,
    alive,
    browser_process,
    chromium_processes,
    plan,
    renderer_processes,
    wait_until_gone,
)
from tests.site import SiteApp
from tests.site.catalog import PER_PAGE
from tests.site.members import GREETING, MEMBER_ITEMS, MEMBER_NAME, MEMBER_PASSWORD


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    pool = BrowserPool(BROWSER)
    before = set(chromium_processes())
    try:
        yield pool
    finally:
        seen = set(chromium_processes()) - before
        await pool.close()
        assert wait_until_gone(seen) == set(), "Chromium processes outlived the pool"


def login_plan(shop: str) -> Plan:
    return plan(
        ("fill", {"selector": "input[name=username]", "value": MEMBER_NAME}),
        ("fill", {"selector": "input[name=password]", "secret": "member_password"}),
        ("click", {"selector": "button[type=submit]"}),
        ("wait", {"selector": "a.member-link"}),
        ("follow", {"selector": "a.member-link"}),
        (
            "extract",
            {
                "fields": [
                    {"name": "title", "selector": ".member-title"},
                    {"name": "greeting", "selector": "#greeting"},
                ]
            },
        ),
        urls=[f"{shop}/login"],
    )


async def test_a_login_runs_once_per_run_and_its_session_holds_on_later_pages(
    pool: BrowserPool, shop: str, shop_app: SiteApp
) -> None:
    shop_app.reset()
    created, reused = pool.stats.contexts_created, pool.stats.contexts_reused
    secrets = {"member_password": MEMBER_PASSWORD}
    async with (
        HttpFetcher(HTTP) as fetcher,
        pool.session(SessionOptions(secrets=secrets.get)) as session,
    ):
        rendering = Rendering("auto", session)
        results: list[PageResult] = [page async for page in crawl(fetcher, login_plan(shop), rendering=rendering)]
    assert all(page.ok for page in results), [page.error for page in results if page.error]
    assert shop_app.state.attempts["login"] == 1  # one login POST for the whole run
    rows = sorted((row for page in results for row in page.rows), key=lambda row: row["title"])
    assert rows == [{"title": f"Member item {n}", "greeting": GREETING} for n in range(1, MEMBER_ITEMS + 1)]
    assert all(page.render == "browser" for page in results)
    later = [page for page in results if page.step_index > 0]
    assert len(later) == MEMBER_ITEMS and all("signed in" in page.render_reason for page in later)
    assert not any(hit.startswith("/members/") for hit in shop_app.state.hits if shop_app.state.hits[hit] > 1)
    # Seven pages went through at most two contexts: the rest reused them.
    assert pool.stats.contexts_created - created <= BROWSER.contexts
    assert pool.stats.contexts_reused - reused >= MEMBER_ITEMS + 1 - BROWSER.contexts
    assert pool.open_contexts <= BROWSER.contexts


async def test_pages_rendered_at_once_never_exceed_the_contexts(pool: BrowserPool, shop: str) -> None:
    steps = plan(("wait", {"selector": ".delayed-content"}), ("extract", CARDS)).page_steps
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, pool.open_contexts)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    async with pool.session() as session:
        pages = await asyncio.gather(*(session.render(f"{shop}/js/delayed?ms=200&n={n}", steps) for n in range(6)))
    watcher.cancel()
    assert all(page.error is None for page in pages), [page.error for page in pages]
    assert peak <= BROWSER.contexts
    assert pool.open_contexts == 0  # the run is over: its contexts were closed


async def test_a_crashed_renderer_is_replaced_and_the_page_retried(pool: BrowserPool, shop: str) -> None:
    await pool.start()
    retries = pool.stats.retries
    steps = plan(("wait", {"selector": ".delayed-content"}), ("extract", CARDS)).page_steps
    async with pool.session() as session:
        rendering = asyncio.create_task(session.render(f"{shop}/js/delayed?ms=1500", steps))
        await asyncio.sleep(0.7)
        victims = renderer_processes()
        assert victims
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        page = await rendering
    assert page.error is None, page.error
    assert page.attempts == 2 and pool.stats.retries == retries + 1
    assert len(page.work.rows) == 1


async def test_a_crashed_browser_is_relaunched_and_the_page_retried(pool: BrowserPool, shop: str) -> None:
    await pool.start()
    launches, crashes = pool.stats.launches, pool.stats.crashes
    first = browser_process()
    async with pool.session() as session:
        rendering = asyncio.create_task(
            session.render(f"{shop}/js/delayed?ms=1500", plan(("wait", {"selector": ".delayed-content"})).page_steps)
        )
        await asyncio.sleep(0.7)
        os.kill(first, signal.SIGKILL)
        page = await rendering
        after = await session.render(f"{shop}/js/products?page=1", plan(("extract", CARDS)).page_steps)
    assert page.error is None, page.error
    assert page.attempts == 2
    assert (pool.stats.launches, pool.stats.crashes) == (launches + 1, crashes + 1)
    assert wait_until_gone({first}) == set()
    assert browser_process() != first
    assert after.error is None and len(after.work.rows) == PER_PAGE


async def test_closing_the_pool_leaves_no_chromium_process(shop: str) -> None:
    before = set(chromium_processes())
    pool = BrowserPool(BROWSER)
    async with pool.session() as session:
        page = await session.render(f"{shop}/js/products?page=1", plan(("extract", CARDS)).page_steps)
    assert page.error is None
    running = set(chromium_processes()) - before
    assert len(running) >= 2 and all(alive(pid) for pid in running)  # the browser and its helpers
    await pool.close()
    assert wait_until_gone(running) == set()
    assert set(chromium_processes()) <= before
