"""The map stage: the execution's first pages (Start URLs, widened by the `map` step), then the scrape batches."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from scrapeflow.bots.test_runs import BotRun, load_bot_run
from scrapeflow.db import session_scope
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.firecrawl import FirecrawlFetcher
from scrapeflow.engine.steps import NextPage
from scrapeflow.executions import logs
from scrapeflow.exports import planning as export_planning
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStage, ExecutionStatus, Page, PageStatus
from scrapeflow.pipeline.stages.common import (
    FINISHED,
    Runtime,
    Sends,
    advance,
    announce,
    fail,
    fetcher_of,
    insert_pages,
    load,
    pending_pages,
    sinks,
)
from scrapeflow.workflow.plan import Plan


async def map_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    async with session_scope(rt.sessionmaker) as session:
        loaded = await load(session, execution_id)
        if loaded is None:
            return
        execution = loaded.execution
        org_id, started_now = execution.org_id, False
        if execution.status is ExecutionStatus.queued:
            started = await session.scalar(
                update(Execution)
                .where(Execution.id == execution.id, Execution.status == ExecutionStatus.queued)
                .values(status=ExecutionStatus.running, started_at=utcnow())
                .returning(Execution.id),
                execution_options={"synchronize_session": False},
            )
            if started is None:
                return
            await session.refresh(execution)
            await logs.append(session, execution, "Execution started", event="status", status="running")
            await advance(session, execution, None, ExecutionStage.mapping)
            started_now = True
        elif execution.stage is not ExecutionStage.mapping:
            return  # a duplicate delivery: mapping is done
        run = await load_bot_run(session, loaded.subject, loaded.bot, loaded.plan, settings=rt.settings, box=rt.box)
        caps = dict(execution.caps or {})
        parent_id = execution.parent_id
    if started_now:
        await announce(rt, org_id)

    items: list[tuple[NextPage, str | None]]
    if "reextract_from" in caps and parent_id is not None:
        items = await _snapshot_pages(rt, parent_id)
    elif "urls" in caps:
        items = [(NextPage(url, int(step)), None) for url, step in caps["urls"]]
    else:
        try:
            items = [(item, None) for item in await _discover(rt, execution_id, loaded.plan, run)]
        except EngineError as error:
            deliveries: list[uuid.UUID] = []
            async with session_scope(rt.sessionmaker) as session:
                failing = await session.get(Execution, execution_id, populate_existing=True)
                if failing is not None and failing.status not in FINISHED:
                    await fail(session, failing, error.code.value, error.message)
                    # Destinations that listen to `execution.failed` hear of it here too.
                    deliveries = await export_planning.plan(session, failing, sinks(loaded.plan), utcnow())
            await announce(rt, org_id)
            for delivery_id in deliveries:
                rt.enqueue.deliver(delivery_id)
            return

    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        current = await session.get(Execution, execution_id, populate_existing=True)
        if current is None or current.status in FINISHED or current.stage is not ExecutionStage.mapping:
            return
        execution = current
        await insert_pages(session, execution, items)
        pending = await pending_pages(session, execution)
        execution.urls_found = len(pending)
        await logs.append(
            session, execution, f"Found {len(pending)} page(s) to scrape", event="mapped", urls=len(pending)
        )
        if not await advance(session, execution, ExecutionStage.mapping, ExecutionStage.scraping):
            return
        sends.scrape(execution, pending, rt.settings.scrape_batch_size)
    sends.send()


async def _discover(rt: Runtime, execution_id: uuid.UUID, plan: Plan, run: BotRun) -> list[NextPage]:
    """The execution's first pages: the Start URLs, widened by the `map` step (Firecrawl's map for a bot that
    fetches through Firecrawl)."""
    options = plan.map_options
    if options is None:
        return [NextPage(url, 0) for url in plan.start_urls]
    fetcher = await rt.fetchers.get(execution_id, lambda: fetcher_of(rt, run))  # batches here reuse it
    if isinstance(fetcher, FirecrawlFetcher):
        found = await fetcher.discover(plan.start_urls, options)
    else:
        found = await discover(fetcher, plan.start_urls, options)
    return [NextPage(item.url, 0) for item in found]


async def _snapshot_pages(rt: Runtime, source_id: uuid.UUID) -> list[tuple[NextPage, str | None]]:
    async with session_scope(rt.sessionmaker) as session:
        rows = await session.execute(
            select(Page.url, Page.step_index, Page.snapshot_key)
            .where(Page.execution_id == source_id, Page.status == PageStatus.done, Page.snapshot_key.is_not(None))
            .order_by(Page.id)
        )
        return [(NextPage(url, step), key) for url, step, key in rows]
