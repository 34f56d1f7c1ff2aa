"""One beat tick in a process of its own: `python -m tests.schedules.tick_process DATABASE_URL NOW GO_FILE`.

It prints `ready`, waits for GO_FILE to exist (so two processes tick at the same moment), ticks with a
`start` that records an execution and holds its transaction open for a second, then prints the ids it
started as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from scrapeflow.db import create_sessionmaker
from scrapeflow.models import Execution, ExecutionTrigger, Schedule
from scrapeflow.schedules.tick import fire_due_schedules

HOLD_SECONDS = 1.0


async def start(session: AsyncSession, schedule: Schedule) -> None:
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
    await asyncio.sleep(HOLD_SECONDS)  # the other process ticks meanwhile


async def tick(database_url: str, now: datetime) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        return [str(schedule_id) for schedule_id in await fire_due_schedules(create_sessionmaker(engine), now, start)]
    finally:
        await engine.dispose()


def main(database_url: str, now: datetime, go: Path) -> None:
    print("ready", flush=True)
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    print(json.dumps(asyncio.run(tick(database_url, now))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3]))
