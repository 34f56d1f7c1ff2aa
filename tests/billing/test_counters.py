"""Usage counters on PostgreSQL under concurrency: parallel increments and parallel page claims lose nothing
and overshoot nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.billing.plans import PLANS
from scrapeflow.billing.quotas import execution_caps
from scrapeflow.billing.usage import add_usage, current_usage
from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker
from scrapeflow.engine.steps import NextPage
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Bot, Execution, ExecutionStatus, ExecutionTrigger, Organization, Page
from scrapeflow.pipeline.stages.common import insert_pages
from scrapeflow.workflow.compiler import validate
from tests.billing.conftest import workflow
from tests.conftest import PostgresDatabases, make_settings, migrate


@pytest.fixture(scope="module")
def pg_settings(tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases) -> Settings:
    configured = make_settings(tmp_path_factory.mktemp("counters"), postgres_databases.create(), billing_enabled=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(configured, monkeypatch)
    return configured


@pytest.fixture
async def sessions(pg_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(pg_settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _organization(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with sessions() as session, session.begin():
        organization = Organization(name="Parallel", slug=f"parallel-{uuid.uuid4().hex[:8]}", plan="free")
        session.add(organization)
    return organization.id


async def test_parallel_increments_lose_no_update(sessions: async_sessionmaker[AsyncSession]) -> None:
    org_id = await _organization(sessions)
    now = utcnow()

    async def one() -> None:
        async with sessions() as session, session.begin():
            await add_usage(session, org_id, now, executions=1, pages=7, rows=3)

    await asyncio.gather(*(one() for _ in range(40)))
    async with sessions() as session:
        used = await current_usage(session, org_id, now)
    assert (used["executions"], used["pages"], used["rows"]) == (40, 280, 120)


async def test_parallel_executions_never_claim_past_the_page_quota(
    sessions: async_sessionmaker[AsyncSession], pg_settings: Settings
) -> None:
    """Eight executions of a free organization claim 40 pages each at once, with 100 pages left this month."""
    org_id = await _organization(sessions)
    now = utcnow()
    plan, issues = validate(workflow())
    assert plan is not None, issues
    async with sessions() as session, session.begin():
        await add_usage(session, org_id, now, pages=PLANS["free"].pages_per_month - 100)  # type: ignore[operator]
        bot = Bot(org_id=org_id, name="b", workflow_json=workflow(), settings={}, version=1)
        session.add(bot)
        await session.flush()
        executions = [
            Execution(
                org_id=org_id,
                bot_id=bot.id,
                bot_version=1,
                trigger=ExecutionTrigger.manual,
                status=ExecutionStatus.running,
                caps=execution_caps(pg_settings, PLANS["free"], plan, {}),
                stage_timings={},
                task_ids=[],
            )
            for _ in range(8)
        ]
        session.add_all(executions)

    async def claim(execution_id: uuid.UUID) -> int:
        async with sessions() as session, session.begin():
            execution = await session.get(Execution, execution_id)
            assert execution is not None
            items = [(NextPage(f"https://shop.example.com/p/{execution_id}/{n}", 0), None) for n in range(40)]
            return len(await insert_pages(session, execution, items))

    claimed = await asyncio.gather(*(claim(execution.id) for execution in executions))
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(Page).where(Page.org_id == org_id))
        stopped = [
            (await session.get(Execution, execution.id)).caps.get("stopped")  # type: ignore[union-attr]
            for execution in executions
        ]
    assert sum(claimed) == total == 100
    assert sorted(claimed, reverse=True)[:3] == [40, 40, 20]
    assert sum(1 for reason in stopped if reason and reason["code"] == "QUOTA_EXCEEDED") == 6
    async with sessions() as session, session.begin():
        await session.execute(delete(Organization).where(Organization.id == org_id))
