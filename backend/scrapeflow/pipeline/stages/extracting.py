"""The extract stage (the scrape chord's body): AI extraction over the pages' snapshots where the plan has it."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from scrapeflow.billing.quotas import stop, token_limit
from scrapeflow.billing.usage import add_usage
from scrapeflow.bots.test_runs import llm_extract, load_bot_run, merge_llm_rows
from scrapeflow.db import session_scope
from scrapeflow.executions import logs
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ExecutionStage, Page, PageStatus
from scrapeflow.pipeline.stages.common import Runtime, Sends, advance, load, pending_pages
from scrapeflow.workflow.nodes import LlmExtractData


async def extract_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    """The chord's body: once no page is pending, LLM extraction where the plan has it."""
    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        loaded = await load(session, execution_id)
        if loaded is None:
            return
        execution = loaded.execution
        if execution.stage is ExecutionStage.scraping:
            if await pending_pages(session, execution):
                return  # a batch is still out (the watchdog restarts lost ones, with this stage after them)
            if not await advance(session, execution, ExecutionStage.scraping, ExecutionStage.extracting):
                return
        elif execution.stage is not ExecutionStage.extracting:
            return
        llm_steps = [step for step in loaded.plan.post_steps if isinstance(step.data, LlmExtractData)]
        if llm_steps:
            run = await load_bot_run(session, loaded.subject, loaded.bot, loaded.plan, settings=rt.settings, box=rt.box)
            pages = (
                await session.execute(
                    select(Page.id, Page.url, Page.snapshot_key, Page.rows).where(
                        Page.org_id == execution.org_id,
                        Page.execution_id == execution.id,
                        Page.status == PageStatus.done,
                        Page.snapshot_key.is_not(None),
                    )
                )
            ).all()
            tokens = server_tokens = 0
            for page_id, url, key, rows in pages:
                server_key = run.llm is not None and run.llm.paid_by == "server"
                if reached := await token_limit(session, execution, tokens, server_key=server_key):
                    await stop(session, execution, *reached)  # the pages left keep their selector rows
                    break
                html = (await rt.artifacts.get(key)).decode("utf-8", "replace")
                merged = list(rows or [])
                for step in llm_steps:
                    assert isinstance(step.data, LlmExtractData)
                    result = await llm_extract(html, url, step.node_id, step.data, run)
                    if result.charge is not None:
                        spent = result.charge.prompt_tokens + result.charge.completion_tokens
                        tokens += spent
                        server_tokens += spent if result.charge.paid_by == "server" else 0
                    merged = merge_llm_rows(merged, result.rows)
                await session.execute(update(Page).where(Page.id == page_id).values(rows=merged))
            # Every call is counted once (answers from the cache cost nothing), so a restarted stage adds up.
            execution.llm_tokens += tokens
            await add_usage(session, execution.org_id, utcnow(), llm_tokens=server_tokens)
            await logs.append(
                session,
                execution,
                f"AI extraction on {len(pages)} page(s), {tokens} tokens",
                event="extracted",
                tokens=tokens,
            )
        if await advance(session, execution, ExecutionStage.extracting, ExecutionStage.saving):
            sends.stage("save", execution)
    sends.send()
