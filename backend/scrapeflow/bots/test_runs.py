"""Test runs: a bot's plan on one page, with every node's output, so the editor can preview it node by node."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.fetch_settings import FetchSettings, public_view
from scrapeflow.bots.fetchers import fetch_options
from scrapeflow.bots.schemas import NodeRun, TestRun, TestRunError
from scrapeflow.config import Settings
from scrapeflow.engine.browser.options import BrowserOptions, SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.browser.session import BrowserSession
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.llm import LlmConfig, LlmContext, LlmPageResult, extract_page
from scrapeflow.engine.post import post_process
from scrapeflow.engine.runner import PageResult, Rendering, process_page
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.engine.steps import NextPage
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import Unprocessable
from scrapeflow.workflow.nodes import LlmExtractData
from scrapeflow.workflow.plan import Plan

PREVIEW_URLS = 20


def browser_options(settings: Settings) -> BrowserOptions:
    return BrowserOptions(
        executable_path=settings.chromium_path,
        contexts=settings.browser_contexts,
        page_timeout=settings.browser_page_timeout_seconds,
        allowlist=FetchAllowlist.parse(settings.fetch_allowlist),
    )


def browser_pool(pools: dict[BrowserOptions, BrowserPool], settings: Settings) -> BrowserPool:
    """The process's pool for these settings, made on first use (Chromium starts only when a page needs it);
    whoever owns `pools` closes them on shutdown."""
    options = browser_options(settings)
    pool = pools.get(options)
    if pool is None:
        pool = pools[options] = BrowserPool(options)
    return pool


def _error(error: EngineError) -> TestRunError:
    return TestRunError(code=error.code.value, message=error.message)


def _node_runs(page: PageResult) -> list[NodeRun]:
    """Each node's output; a screenshot node shows its picture (a data URL), the test run being a preview."""
    images = {
        artifact.node_id: "data:image/png;base64," + base64.b64encode(artifact.data).decode()
        for artifact in page.artifacts
        if artifact.kind == "screenshot" and artifact.node_id
    }
    return [
        NodeRun(
            node_id=o.node_id,
            type=o.type,
            elapsed_ms=o.elapsed_ms,
            rows=o.rows,
            values={**o.values, "image": images[o.node_id]} if o.node_id in images else o.values,
            error=o.error,
        )
        for o in page.outputs
    ]


def merge_llm_rows(rows: list[dict[str, Any]], llm_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One AI row adds its fields to every row the page steps made; several AI rows are the page's rows."""
    if not rows:
        return llm_rows
    if len(llm_rows) == 1:
        return [{**row, **llm_rows[0]} for row in rows]
    return llm_rows or rows


async def _llm_extract(html: str, url: str, node_id: str, data: LlmExtractData, llm: LlmConfig | None) -> LlmPageResult:
    """A test run reads one page: a fresh cache and selector store, so the preview shows the model's own answer."""
    if llm is not None and data.model:
        llm = replace(llm, model=data.model)
    async with LlmContext(config=llm, selector_key=("test-run", node_id)) as context:
        return await extract_page(html, url, data, context)


async def _run(
    plan: Plan, url: str | None, fetcher: HttpFetcher, report: TestRun, rendering: Rendering, llm: LlmConfig | None
) -> None:
    started = time.perf_counter()
    report.nodes.append(NodeRun(node_id=plan.start.node_id, type="start", values={"urls": plan.start_urls}))
    target = url or (plan.start_urls[0] if plan.start_urls else None)
    options = plan.map_options
    if options is not None and plan.map is not None:
        preview = options.model_copy(
            update={"limit": min(options.limit, PREVIEW_URLS), "max_depth": min(options.max_depth, 1)}
        )
        found = await discover(fetcher, plan.start_urls, preview)
        report.nodes.append(
            NodeRun(
                node_id=plan.map.node_id,
                type="map",
                elapsed_ms=(time.perf_counter() - started) * 1000,
                values={"urls": [item.url for item in found], "note": f"a preview of the first {PREVIEW_URLS} pages"},
            )
        )
        target = url or next((item.url for item in found if item.source != "start"), target)
    if target is None:
        raise Unprocessable("Give a URL to test on: this bot takes its URLs when it runs.", code="url_required")
    page = await process_page(fetcher, plan, NextPage(target, 0), keep_html=plan.uses_llm, rendering=rendering)
    report.url, report.final_url, report.status = target, page.final_url, page.status
    report.render, report.render_reason, report.notes = page.render, page.render_reason, page.notes + page.blocked
    report.nodes += _node_runs(page)
    if page.error is not None:
        report.error = _error(page.error)
        return
    rows = page.rows
    for step in plan.post_steps:
        began = time.perf_counter()
        if isinstance(step.data, LlmExtractData):
            result = await _llm_extract(page.html or "", page.final_url or target, step.node_id, step.data, llm)
            rows = merge_llm_rows(rows, result.rows)
            report.nodes.append(
                NodeRun(
                    node_id=step.node_id,
                    type=step.type,
                    elapsed_ms=(time.perf_counter() - began) * 1000,
                    rows=rows,
                    values=result.summary(),
                )
            )
            continue
        rows = list(post_process(rows, (step,)))
        report.nodes.append(
            NodeRun(node_id=step.node_id, type=step.type, elapsed_ms=(time.perf_counter() - began) * 1000, rows=rows)
        )
    report.nodes += [
        NodeRun(node_id=s.node_id, type=s.type, status="skipped", error="Exports run after full executions.")
        for s in plan.sinks
    ]
    report.rows = rows


def _session(
    browser: BrowserPool | None, bot: FetchSettings, settings: Settings, fetch: dict[str, Any]
) -> contextlib.AbstractAsyncContextManager[BrowserSession | None]:
    if browser is None or bot.render == "http":
        return contextlib.nullcontext(None)
    limit = bot.page_timeout_seconds or settings.browser_page_timeout_seconds
    return browser.session(
        SessionOptions(
            user_agent=fetch.get("user_agent"),
            headers=fetch.get("headers") or {},
            cookies=fetch.get("cookies") or {},
            block=frozenset(bot.block),
            capture=frozenset(bot.capture),
            page_timeout=min(limit, settings.test_run_timeout_seconds),
        )
    )


async def run_test(
    plan: Plan,
    settings: Settings,
    url: str | None = None,
    *,
    browser: BrowserPool | None = None,
    bot: FetchSettings | None = None,
    llm: LlmConfig | None = None,
    **fetch: Any,
) -> TestRun:
    """Run the plan on its first page (or `url`) within the time limit; never raises for a site's failure.

    `bot` holds the bot's rendering choices (auto by default); pages go to `browser` when they need one.
    """
    report = TestRun()
    started = time.perf_counter()
    bot = bot or FetchSettings()
    options = fetch_options(settings, retries=1, backoff_base=0.5, backoff_max=2.0, **fetch)
    try:
        async with (
            asyncio.timeout(settings.test_run_timeout_seconds),
            HttpFetcher(options) as fetcher,
            _session(browser, bot, settings, fetch) as session,
        ):
            await _run(plan, url, fetcher, report, Rendering(bot.render, session), llm)
    except TimeoutError:
        report.error = TestRunError(
            code=ErrorCode.TIMEOUT.value,
            message=f"The test run took longer than {settings.test_run_timeout_seconds:g} s and was stopped.",
        )
    except EngineError as error:
        report.error = _error(error)
    report.ok = report.error is None and not any(node.status == "error" for node in report.nodes)
    report.elapsed_ms = (time.perf_counter() - started) * 1000
    return report


async def run_workflow_test(
    session: AsyncSession,
    subject: AuthSubject,
    document: dict[str, Any],
    url: str | None,
    *,
    settings: Settings,
    box: SecretBox,
    browser: BrowserPool | None,
) -> TestRun:
    """A test run of an unsaved workflow, with the organization's LLM when it extracts with AI."""
    plan = bots_service.compile_or_422(document)
    llm = await bots_service.llm_config(session, subject, settings, box) if plan.uses_llm else None
    return await run_test(plan, settings, url, browser=browser, llm=llm)


async def run_bot_test(
    session: AsyncSession,
    subject: AuthSubject,
    bot_id: uuid.UUID,
    url: str | None,
    *,
    settings: Settings,
    box: SecretBox,
    browser: BrowserPool | None,
) -> TestRun:
    """A test run of a saved bot, with its fetch settings (and its organization's proxies and LLM)."""
    bot = await bots_service.get(session, subject, bot_id)
    overrides = await bots_service.fetch_overrides(session, subject, bot, box)
    plan = bots_service.compile_or_422(bot.workflow_json)
    llm = await bots_service.llm_config(session, subject, settings, box) if plan.uses_llm else None
    return await run_test(plan, settings, url, browser=browser, bot=public_view(bot.settings), llm=llm, **overrides)
