"""The bot list's last run and next run stay true while answers are kept in memory (scale-out mode keeps the
list under the organization's change stamp): starting a run, the worker finishing it and scheduling the bot
each renew the stamp, so the very next request sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.pipeline.conftest import Processes, create_bot, sign_up, wait_for
from tests.pipeline.test_executions import list_workflow


async def listed(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await api.get("/api/v1/bots", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    assert len(items) == 1
    return items[0]


async def test_the_bot_list_shows_runs_and_schedules_at_once(
    api: httpx.AsyncClient, processes: Processes, shop: str
) -> None:
    headers = await sign_up(api)
    workflow = list_workflow(shop, pages=1)
    workflow["nodes"][0]["data"]["urls"].append(f"{shop}/slow?ms=1500")  # the run lasts long enough to be seen
    bot_id = await create_bot(api, headers, workflow)
    assert (await listed(api, headers))["last_execution"] is None  # kept in memory from here on

    started = await api.post(f"/api/v1/bots/{bot_id}/execute", headers=headers)
    assert started.status_code == 202, started.text
    assert (await listed(api, headers))["last_execution"]["status"] == "queued"

    processes.worker()
    await wait_for(api, headers, started.json()["id"], processes, statuses={"running"})
    assert (await listed(api, headers))["last_execution"]["status"] == "running"  # kept again, while it runs
    execution = await wait_for(api, headers, started.json()["id"], processes)
    assert execution["status"] == "succeeded"
    assert (await listed(api, headers))["last_execution"] == {
        "id": execution["id"],
        "status": "succeeded",
        "created_at": execution["created_at"],
        "finished_at": execution["finished_at"],
    }

    assert (await listed(api, headers))["next_run_at"] is None
    schedule = await api.post(
        "/api/v1/schedules",
        json={"bot_id": bot_id, "cron_expression": "0 9 * * 1-5", "timezone": "UTC"},
        headers=headers,
    )
    assert schedule.status_code == 201, schedule.text
    next_run = (await listed(api, headers))["next_run_at"]
    assert next_run is not None
    assert datetime.fromisoformat(next_run) == datetime.fromisoformat(schedule.json()["next_run"])
