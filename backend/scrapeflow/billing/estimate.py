"""Know the cost before the run: map a bot's pages (as the pipeline's map stage does, fetching no page to
scrape) and price them in the plan's credits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.billing import quotas
from scrapeflow.billing.usage import current_usage
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.fetchers import fetcher_for
from scrapeflow.bots.test_runs import load_bot_run
from scrapeflow.config import Settings
from scrapeflow.engine.discovery import discover
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.firecrawl import FirecrawlFetcher
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import Unprocessable
from scrapeflow.kit.time import utcnow


async def estimate(
    session: AsyncSession, settings: Settings, subject: AuthSubject, bot_id: uuid.UUID, box: SecretBox
) -> dict[str, Any]:
    """Pages the run would start from, expected LLM tokens, its cost in credits, and whether the month's quota
    has room for it. Pages that later steps lead to (next pages, followed links) are not counted: only a run
    finds them."""
    bot = await bots_service.get(session, subject, bot_id)
    workflow = bots_service.compile_or_422(bot.workflow_json)
    now = utcnow()
    plan = await quotas.plan_of(session, settings, subject.org_id, now)
    run = await load_bot_run(session, subject, bot, workflow, settings=settings, box=box)
    urls = list(workflow.start_urls)
    options = workflow.map_options
    if options is not None:
        try:
            async with fetcher_for(settings, run.fetch, **run.options) as fetcher:
                if isinstance(fetcher, FirecrawlFetcher):
                    found = await fetcher.discover(workflow.start_urls, options)
                else:
                    found = await discover(fetcher, workflow.start_urls, options)
        except EngineError as error:
            raise Unprocessable(error.message, code=error.code.value) from error
        urls = [item.url for item in found]
    pages = len(urls)
    tokens = pages * quotas.llm_tokens_per_page(settings, workflow)
    used = await current_usage(session, subject.org_id, now)
    pages_left = None if plan.pages_per_month is None else max(0, plan.pages_per_month - used["pages"])
    return {
        "pages": pages,
        "llm_tokens": tokens,
        "cost": quotas.page_credits(pages, tokens),
        "plan": plan.name,
        "pages_left_this_month": pages_left,
        "fits_quota": pages_left is None or pages <= pages_left,
        "sample_urls": urls[:20],
    }
