"""The beat tick on committed data: each test database is fresh, and every write is really committed."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scrapeflow.auth import service as auth_service
from scrapeflow.bots.schemas import starter_workflow
from scrapeflow.bots.service import compile_or_422
from scrapeflow.cli import REPO_ROOT
from scrapeflow.config import Settings
from scrapeflow.db import create_engine, create_sessionmaker, session_scope
from scrapeflow.models import (
    Bot,
    ChangeStatus,
    Execution,
    ExecutionLog,
    ExecutionStatus,
    ExecutionTrigger,
    Page,
    ResultRow,
    Schedule,
    UsageCounter,
)
from scrapeflow.schedules.tick import delete_expired_executions, fire_due_schedules, reset_monthly_usage
from tests.conftest import BACKENDS, PostgresDatabases, make_settings, migrate, new_database_url
from tests.factories import START_URL

NOW = datetime(2026, 11, 23, 12, 30, 5, tzinfo=UTC)
ROW_FIELDS: dict[str, Any] = {"row_key": "k", "data": {"title": "Lamp"}, "change_status": ChangeStatus.new}


@dataclass
class Database:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> Settings:
    """A database of this module's own: the tick sees every due schedule, so none may come from other tests."""
    tmp = tmp_path_factory.mktemp(f"tick-{request.param}")
    settings = make_settings(tmp, new_database_url(request.param, tmp, postgres_databases))
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(settings, monkeypatch)
    return settings


@pytest.fixture(scope="module")
async def database(fresh_settings: Settings) -> AsyncIterator[Database]:
    engine = create_engine(fresh_settings)
    yield Database(fresh_settings, engine, create_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.backend != "postgresql":
        pytest.skip("row locks across connections are PostgreSQL's; single-machine mode runs one beat")
    return database


async def new_bot(db: Database, *, valid: bool = True) -> Bot:
    async with session_scope(db.sessions) as session:
        user = await auth_service.create_user(
            session, email=f"tick-{uuid.uuid4().hex[:10]}@example.com", password=None, name="Tick"
        )
        assert user.default_org_id is not None
        workflow = starter_workflow(START_URL) if valid else {"nodes": [], "edges": []}
        bot = Bot(org_id=user.default_org_id, name="Bot", workflow_json=workflow, version=1)
        session.add(bot)
    return bot


async def new_schedule(
    db: Database,
    next_run_at: datetime | None,
    *,
    cron: str = "0 * * * *",
    timezone: str = "UTC",
    active: bool = True,
    bot: Bot | None = None,
) -> Schedule:
    bot = bot or await new_bot(db)
    async with session_scope(db.sessions) as session:
        schedule = Schedule(
            org_id=bot.org_id,
            bot_id=bot.id,
            cron_expression=cron,
            timezone=timezone,
            is_active=active,
            next_run_at=next_run_at,
        )
        session.add(schedule)
    return schedule


async def reload(db: Database, schedule: Schedule) -> Schedule:
    async with db.sessions() as session:
        fresh = await session.get(Schedule, schedule.id)
        assert fresh is not None
        return fresh


async def executions_of(db: Database, schedule: Schedule) -> int:
    async with db.sessions() as session:
        count = await session.scalar(select(func.count()).where(Execution.schedule_id == schedule.id))
        return int(count or 0)


async def start_execution(session: AsyncSession, schedule: Schedule) -> None:
    """Like the pipeline's: writes the execution, then refuses a bot whose workflow does not compile."""
    session.add(
        Execution(
            org_id=schedule.org_id,
            bot_id=schedule.bot_id,
            bot_version=1,
            schedule_id=schedule.id,
            trigger=ExecutionTrigger.schedule,
        )
    )
    await session.flush()
    bot = await session.get(Bot, schedule.bot_id)
    assert bot is not None
    compile_or_422(bot.workflow_json)


async def test_due_schedules_start_once_and_move_to_their_next_run(database: Database) -> None:
    due = await new_schedule(database, NOW - timedelta(minutes=30))
    exactly_now = await new_schedule(database, NOW, cron="*/5 * * * *")
    later = await new_schedule(database, NOW + timedelta(minutes=5))
    paused = await new_schedule(database, NOW - timedelta(hours=1), active=False)

    started = await fire_due_schedules(database.sessions, NOW, start_execution)

    assert set(started) >= {due.id, exactly_now.id}
    assert not {later.id, paused.id} & set(started)
    assert (await reload(database, due)).next_run_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert (await reload(database, exactly_now)).next_run_at == datetime(2026, 11, 23, 12, 35, tzinfo=UTC)
    assert (await reload(database, due)).last_run_at == NOW
    assert (await reload(database, later)).last_run_at is None
    assert [await executions_of(database, s) for s in (due, exactly_now, later, paused)] == [1, 1, 0, 0]

    again = await fire_due_schedules(database.sessions, NOW + timedelta(seconds=30), start_execution)
    assert not {due.id, exactly_now.id} & set(again)


async def test_after_downtime_a_missed_schedule_starts_once(database: Database) -> None:
    # Hourly, last due at 08:00: the 08:00 to 12:00 runs were all missed while beat was down.
    schedule = await new_schedule(database, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    started = await fire_due_schedules(database.sessions, NOW, start_execution)
    assert started.count(schedule.id) == 1
    assert await executions_of(database, schedule) == 1
    fresh = await reload(database, schedule)
    assert fresh.next_run_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert fresh.next_run_at is not None and fresh.next_run_at > NOW


async def test_a_refused_start_is_skipped_and_the_schedule_moves_on(database: Database) -> None:
    broken = await new_schedule(database, NOW - timedelta(minutes=1), bot=await new_bot(database, valid=False))
    healthy = await new_schedule(database, NOW - timedelta(minutes=1))

    started = await fire_due_schedules(database.sessions, NOW, start_execution)

    assert healthy.id in started and broken.id not in started
    fresh = await reload(database, broken)
    assert fresh.next_run_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert fresh.last_run_at is None
    assert await executions_of(database, broken) == 0  # its half-written execution was rolled back
    assert await executions_of(database, healthy) == 1


async def test_a_crashing_start_does_not_stop_the_tick(database: Database) -> None:
    first = await new_schedule(database, NOW - timedelta(minutes=2))
    second = await new_schedule(database, NOW - timedelta(minutes=1))

    async def flaky(session: AsyncSession, schedule: Schedule) -> None:
        if schedule.id == first.id:
            raise RuntimeError("broker unreachable")
        await start_execution(session, schedule)

    started = await fire_due_schedules(database.sessions, NOW, flaky)
    assert second.id in started and first.id not in started
    assert (await reload(database, first)).next_run_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


async def test_batches_cover_every_due_schedule(database: Database) -> None:
    schedules = [await new_schedule(database, NOW - timedelta(minutes=10)) for _ in range(5)]
    started = await fire_due_schedules(database.sessions, NOW, start_execution, batch_size=2)
    assert {s.id for s in schedules} <= set(started)
    assert len(started) == len(set(started))


async def test_schedules_of_a_deleted_bot_are_gone(database: Database) -> None:
    bot = await new_bot(database)
    schedule = await new_schedule(database, NOW - timedelta(minutes=1), bot=bot)
    async with session_scope(database.sessions) as session:
        await session.delete(await session.get(Bot, bot.id))
    assert schedule.id not in await fire_due_schedules(database.sessions, NOW, start_execution)
    async with database.sessions() as session:
        assert await session.get(Schedule, schedule.id) is None


async def test_fall_back_day_runs_a_daily_schedule_once(database: Database) -> None:
    # Europe/Berlin repeats 02:00–03:00 on 2026-10-25: 02:30 CEST is 00:30 UTC, 02:30 CET is 01:30 UTC.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    schedule = await new_schedule(database, first, cron="30 2 * * *", timezone="Europe/Berlin")

    assert schedule.id in await fire_due_schedules(database.sessions, first + timedelta(seconds=5), start_execution)
    assert (await reload(database, schedule)).next_run_at == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, 5, tzinfo=UTC)
    assert schedule.id not in await fire_due_schedules(database.sessions, second, start_execution)
    assert await executions_of(database, schedule) == 1


async def test_spring_forward_day_runs_a_skipped_time_once_an_hour_later(database: Database) -> None:
    # Europe/Berlin skips 02:00–03:00 on 2026-03-29: 02:30 runs at 03:30 CEST (01:30 UTC), then 02:30 CEST.
    schedule = await new_schedule(
        database, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), cron="30 2 * * *", timezone="Europe/Berlin"
    )
    assert schedule.id not in await fire_due_schedules(
        database.sessions, datetime(2026, 3, 29, 1, 0, tzinfo=UTC), start_execution
    )
    assert schedule.id in await fire_due_schedules(
        database.sessions, datetime(2026, 3, 29, 1, 30, 1, tzinfo=UTC), start_execution
    )
    assert (await reload(database, schedule)).next_run_at == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)


async def nothing_else_due(db: Database, moment: datetime) -> None:
    """Let the schedules other tests left behind run first, so only the test's own schedule is due."""

    async def skip(_: AsyncSession, __: Schedule) -> None:
        pass

    await fire_due_schedules(db.sessions, moment, skip)


async def test_concurrent_ticks_on_two_connections_start_a_schedule_once(postgres: Database) -> None:
    """The first tick holds the row locked until the second has finished: with SKIP LOCKED the second passes
    over it at once (waiting for the lock would time out the first's `start`, and nothing would start)."""
    moment = NOW + timedelta(days=1)
    await nothing_else_due(postgres, moment)
    schedule = await new_schedule(postgres, moment - timedelta(minutes=1))
    other_engine = create_engine(postgres.settings)
    finished = [asyncio.Event(), asyncio.Event()]
    calls: list[int] = []

    async def tick(number: int, sessions: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
        async def start(session: AsyncSession, due: Schedule) -> None:
            calls.append(number)
            await start_execution(session, due)
            await asyncio.wait_for(finished[1 - number].wait(), timeout=5)

        try:
            return await fire_due_schedules(sessions, moment, start)
        finally:
            finished[number].set()

    try:
        results = await asyncio.gather(tick(0, postgres.sessions), tick(1, create_sessionmaker(other_engine)))
    finally:
        await other_engine.dispose()
    assert [ids.count(schedule.id) for ids in results] in ([1, 0], [0, 1])
    assert calls in ([0], [1])
    assert await executions_of(postgres, schedule) == 1


async def test_two_beat_processes_start_a_schedule_once(postgres: Database, tmp_path: Path) -> None:
    moment = NOW + timedelta(days=2)
    await nothing_else_due(postgres, moment)
    schedule = await new_schedule(postgres, moment - timedelta(minutes=1))
    go = tmp_path / "go"
    url = postgres.settings.sqlalchemy_url
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.schedules.tick_process",
            url,
            moment.isoformat(),
            str(go),
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), timeout=60)).strip() == b"ready"
    go.touch()
    outputs = [await asyncio.wait_for(process.communicate(), timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    started = [json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs]  # after the log lines
    assert sorted(len(ids) for ids in started) == [0, 1]
    assert [schedule_id for ids in started for schedule_id in ids] == [str(schedule.id)]
    assert await executions_of(postgres, schedule) == 1
    fresh = await reload(postgres, schedule)
    assert fresh.last_run_at == moment and fresh.next_run_at == moment.replace(minute=0, second=0) + timedelta(hours=1)


async def counters(db: Database, org_id: uuid.UUID) -> dict[date, int]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(UsageCounter.period_start, UsageCounter.executions).where(UsageCounter.org_id == org_id)
        )
        return {row.period_start: row.executions for row in rows}


async def test_a_new_month_starts_usage_from_zero_once(database: Database) -> None:
    november, december = date(2026, 11, 1), date(2026, 12, 1)
    bots = [await new_bot(database), await new_bot(database)]
    async with session_scope(database.sessions) as session:
        session.add(UsageCounter(org_id=bots[0].org_id, period_start=november, executions=42, pages=900))

    assert await reset_monthly_usage(database.sessions, datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) >= 1
    assert await counters(database, bots[0].org_id) == {november: 42}  # November's own is left alone
    assert await counters(database, bots[1].org_id) == {november: 0}

    new_month = datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC)
    assert await reset_monthly_usage(database.sessions, new_month, batch_size=1) >= 2
    assert await counters(database, bots[0].org_id) == {november: 42, december: 0}

    async with session_scope(database.sessions) as session:  # usage during December
        await session.execute(
            update(UsageCounter)
            .where(UsageCounter.org_id == bots[0].org_id, UsageCounter.period_start == december)
            .values(executions=UsageCounter.executions + 3)
        )
    assert await reset_monthly_usage(database.sessions, new_month + timedelta(hours=1)) == 0
    assert await counters(database, bots[0].org_id) == {november: 42, december: 3}


async def test_expired_executions_are_deleted_with_their_logs_pages_rows_and_artifacts(database: Database) -> None:
    bot = await new_bot(database)
    now = NOW + timedelta(days=3)
    finished = {
        "expired": [now - timedelta(days=31, minutes=minute) for minute in range(5)],
        "kept": [now - timedelta(days=29), None],
    }
    ids: dict[str, list[uuid.UUID]] = {"expired": [], "kept": []}
    async with session_scope(database.sessions) as session:
        for group, moments in finished.items():
            for finished_at in moments:
                execution = Execution(
                    org_id=bot.org_id,
                    bot_id=bot.id,
                    bot_version=1,
                    trigger=ExecutionTrigger.manual,
                    status=ExecutionStatus.succeeded if finished_at else ExecutionStatus.running,
                    created_at=now - timedelta(days=40),
                    finished_at=finished_at,
                )
                session.add(execution)
                await session.flush()
                page = Page(org_id=bot.org_id, execution_id=execution.id, bot_id=bot.id, url=START_URL, url_hash="h")
                session.add(page)
                session.add(
                    ExecutionLog(org_id=bot.org_id, execution_id=execution.id, seq=1, message="done", created_at=now)
                )
                await session.flush()
                session.add(
                    ResultRow(
                        org_id=bot.org_id, bot_id=bot.id, execution_id=execution.id, page_id=page.id, **ROW_FIELDS
                    )
                )
                ids[group].append(execution.id)

    async def failing(_: list[uuid.UUID]) -> None:
        raise OSError("artifact store unreachable")

    with pytest.raises(OSError, match="unreachable"):
        await delete_expired_executions(database.sessions, now, 30, failing)
    assert await surviving(database, ids["expired"] + ids["kept"]) == ids["expired"] + ids["kept"]

    removed: list[list[uuid.UUID]] = []

    async def delete_artifacts(batch: list[uuid.UUID]) -> None:
        removed.append(batch)

    assert await delete_expired_executions(database.sessions, now, 30, delete_artifacts, batch_size=2) == 5
    assert [len(batch) for batch in removed] == [2, 2, 1]
    assert sorted(i for batch in removed for i in batch) == sorted(ids["expired"])
    assert await surviving(database, ids["expired"] + ids["kept"]) == ids["kept"]
    async with database.sessions() as session:
        for model in (ExecutionLog, Page, ResultRow):
            left = await session.scalar(select(func.count()).where(model.execution_id.in_(ids["expired"])))
            assert left == 0, model.__name__
            kept = await session.scalar(select(func.count()).where(model.execution_id.in_(ids["kept"])))
            assert kept == 2, model.__name__
    assert await delete_expired_executions(database.sessions, now, 30, delete_artifacts) == 0


async def surviving(db: Database, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    async with db.sessions() as session:
        present = set(await session.scalars(select(Execution.id).where(Execution.id.in_(ids))))
    return [i for i in ids if i in present]
