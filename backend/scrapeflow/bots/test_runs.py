"""Test runs: a bot's plan on one page, with every node's output, so the editor can preview it node by node."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow import models
from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import secrets as bot_secrets
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.fetch_settings import FetchSettings, public_view
from scrapeflow.bots.fetchers import fetcher_for
from scrapeflow.bots.llm_memory import DatabaseLlmCache, DatabaseSelectorStore
from scrapeflow.bots.schemas import LlmUsage, NodeRun, TestRun, TestRunError
from scrapeflow.config import Settings
from scrapeflow.engine.browser.options import BrowserOptions, SessionOptions
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.browser.session import BrowserSession
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import HttpFetcher
from scrapeflow.engine.firecrawl import FirecrawlFetcher
from scrapeflow.engine.llm import (
    InMemoryLlmCache,
    InMemorySelectorStore,
    LlmCache,
    LlmCharge,
    LlmConfig,
    LlmContext,
    LlmPageResult,
    SelectorStore,
    extract_page,
)
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


@dataclass
class LlmMemory:
    """What a test run's AI extraction remembers: the organization's answer cache and, for a saved bot, the
    selectors it learned (under `bot_key`). The defaults forget everything when the run ends."""

    cache: LlmCache = field(default_factory=InMemoryLlmCache)
    selectors: SelectorStore = field(default_factory=InMemorySelectorStore)
    bot_key: str = "test-run"


@dataclass
class BotRun:
    """What a test run takes from the bot: fetch settings, FetchOptions keyword arguments (headers, cookies,
    proxies…), the LLM and its memory, and the secrets `fill` steps may type (never returned or logged)."""

    fetch: FetchSettings = field(default_factory=FetchSettings)
    options: dict[str, Any] = field(default_factory=dict)
    llm: LlmConfig | None = None
    memory: LlmMemory = field(default_factory=LlmMemory)
    secrets: Mapping[str, str] = field(default_factory=dict)


async def llm_extract(html: str, url: str, node_id: str, data: LlmExtractData, bot: BotRun) -> LlmPageResult:
    llm = bot.llm
    if llm is not None and data.model:
        llm = replace(llm, model=data.model)
    memory = bot.memory
    async with LlmContext(
        config=llm, cache=memory.cache, selectors=memory.selectors, selector_key=(memory.bot_key, node_id)
    ) as context:
        return await extract_page(html, url, data, context)


def _usage(charges: list[LlmCharge]) -> LlmUsage | None:
    """The run's LLM spending, summed; one run uses one key, so the first charge names the payer."""
    if not charges:
        return None
    return LlmUsage(
        paid_by=charges[0].paid_by,
        llm_calls=sum(charge.llm_calls for charge in charges),
        prompt_tokens=sum(charge.prompt_tokens for charge in charges),
        completion_tokens=sum(charge.completion_tokens for charge in charges),
        cost_usd=round(sum(charge.cost_usd for charge in charges), 6),
    )


async def _map(fetcher: HttpFetcher | FirecrawlFetcher, plan: Plan, report: TestRun) -> list[str]:
    """A preview of the `map` node (its first pages, one link deep): through Firecrawl's map for a bot that
    fetches through Firecrawl, else our own sitemaps-and-links discovery."""
    options, node = plan.map_options, plan.map
    if options is None or node is None:
        return []
    started = time.perf_counter()
    preview = options.model_copy(
        update={"limit": min(options.limit, PREVIEW_URLS), "max_depth": min(options.max_depth, 1)}
    )
    if isinstance(fetcher, FirecrawlFetcher):
        found, how = await fetcher.discover(plan.start_urls, preview), "Firecrawl's map"
    else:
        found, how = await discover(fetcher, plan.start_urls, preview), "sitemaps and links"
    report.nodes.append(
        NodeRun(
            node_id=node.node_id,
            type="map",
            elapsed_ms=(time.perf_counter() - started) * 1000,
            values={
                "urls": [item.url for item in found],
                "found_by": how,
                "note": f"a preview of the first {PREVIEW_URLS} pages",
            },
        )
    )
    return [item.url for item in found if item.source != "start"]


async def _run(
    plan: Plan,
    url: str | None,
    fetcher: HttpFetcher | FirecrawlFetcher,
    report: TestRun,
    rendering: Rendering,
    bot: BotRun,
) -> None:
    report.nodes.append(NodeRun(node_id=plan.start.node_id, type="start", values={"urls": plan.start_urls}))
    target = url or (plan.start_urls[0] if plan.start_urls else None)
    discovered = await _map(fetcher, plan, report)
    target = url or next(iter(discovered), target)
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
    charges: list[LlmCharge] = []
    try:
        for step in plan.post_steps:
            began = time.perf_counter()
            if isinstance(step.data, LlmExtractData):
                result = await llm_extract(page.html or "", page.final_url or target, step.node_id, step.data, bot)
                if result.charge is not None:
                    charges.append(result.charge)
                rows = merge_llm_rows(rows, result.rows)
                values = result.summary()
                report.nodes.append(
                    NodeRun(
                        node_id=step.node_id,
                        type=step.type,
                        elapsed_ms=(time.perf_counter() - began) * 1000,
                        rows=rows,
                        values=values,
                    )
                )
                continue
            rows = list(post_process(rows, (step,)))
            report.nodes.append(
                NodeRun(
                    node_id=step.node_id, type=step.type, elapsed_ms=(time.perf_counter() - began) * 1000, rows=rows
                )
            )
    finally:
        report.llm_usage = _usage(charges)
    report.nodes += [
        NodeRun(node_id=s.node_id, type=s.type, status="skipped", error="Exports run after full executions.")
        for s in plan.sinks
    ]
    report.rows = rows


def browser_session(
    browser: BrowserPool | None, bot: BotRun, settings: Settings
) -> contextlib.AbstractAsyncContextManager[BrowserSession | None]:
    if browser is None or bot.fetch.render == "http":
        return contextlib.nullcontext(None)
    limit = bot.fetch.page_timeout_seconds or settings.browser_page_timeout_seconds
    options = bot.options
    return browser.session(
        SessionOptions(
            user_agent=options.get("user_agent"),
            headers=options.get("headers") or {},
            cookies=options.get("cookies") or {},
            proxies=tuple(options.get("proxies") or ()),
            block=frozenset(bot.fetch.block),
            capture=frozenset(bot.fetch.capture),
            page_timeout=min(limit, settings.test_run_timeout_seconds),
            secrets=dict(bot.secrets).get,
        )
    )


async def run_test(
    plan: Plan,
    settings: Settings,
    url: str | None = None,
    *,
    browser: BrowserPool | None = None,
    bot: BotRun | None = None,
) -> TestRun:
    """Run the plan on its first page (or `url`) within the time limit; never raises for a site's failure.

    `bot` holds what the bot brings (fetcher, rendering choices, LLM, secrets); pages go to `browser` when
    they need one.
    """
    bot = bot or BotRun()
    report = TestRun(fetcher=bot.fetch.fetcher)
    started = time.perf_counter()
    try:
        async with (
            asyncio.timeout(settings.test_run_timeout_seconds),
            fetcher_for(settings, bot.fetch, retries=1, backoff_base=0.5, backoff_max=2.0, **bot.options) as fetcher,
            browser_session(browser, bot, settings) as session,
        ):
            await _run(plan, url, fetcher, report, Rendering(bot.fetch.render, session), bot)
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
    """A test run of an unsaved workflow, with the organization's LLM and answer cache when it extracts with AI
    (nothing is learned: an unsaved workflow has no bot to keep selectors for)."""
    plan = bots_service.compile_or_422(document)
    bot = BotRun()
    if plan.uses_llm:
        bot.llm = await bots_service.llm_config(session, subject, settings, box)
        bot.memory = LlmMemory(cache=DatabaseLlmCache(session, subject.org_id))
    return await run_test(plan, settings, url, browser=browser, bot=bot)


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
    """A test run of a saved bot with everything it has: fetch settings and fetcher (its organization's proxies
    when it has none), secrets for its `fill` steps, and its LLM with the organization's answer cache and the
    selectors the bot learned, so a page seen before costs no tokens and what this run learns is kept."""
    bot = await bots_service.get(session, subject, bot_id)
    plan = bots_service.compile_or_422(bot.workflow_json)
    run = await load_bot_run(session, subject, bot, plan, settings=settings, box=box)
    return await run_test(plan, settings, url, browser=browser, bot=run)


async def load_bot_run(
    session: AsyncSession, subject: AuthSubject, bot: models.Bot, plan: Plan, *, settings: Settings, box: SecretBox
) -> BotRun:
    """Everything a run of this bot takes: fetch settings and options (its organization's proxies when it has
    none), secrets for its `fill` steps, its LLM with the organization's answer cache and learned selectors."""
    run = BotRun(
        fetch=public_view(bot.settings), options=await bots_service.fetch_overrides(session, subject, bot, box)
    )
    if any(step.type == "fill" for step in plan.page_steps):
        run.secrets = await bot_secrets.unsealed(session, subject, bot.id, box)
    if plan.uses_llm:
        run.llm = await bots_service.llm_config(session, subject, settings, box)
        run.memory = LlmMemory(
            cache=DatabaseLlmCache(session, subject.org_id),
            selectors=DatabaseSelectorStore(session, subject.org_id),
            bot_key=str(bot.id),
        )
    return run
