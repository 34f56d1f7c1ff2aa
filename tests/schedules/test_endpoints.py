from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Role, Schedule
from tests.factories import START_URL, Actor, add_member, make_user


async def new_bot(client: httpx.AsyncClient, actor: Actor, name: str = "Prices") -> str:
    created = await client.post("/api/v1/bots", json={"name": name, "start_url": START_URL}, headers=actor.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_create_answers_next_run_preview_and_description(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    bot_id = await new_bot(client, owner)
    body = {"bot_id": bot_id, "cron_expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"}
    created = await client.post("/api/v1/schedules", json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["description"] == "At 09:00, Monday through Friday"
    assert schedule["is_active"] is True
    assert schedule["last_run_at"] is None

    next_run = datetime.fromisoformat(schedule["next_run"])
    berlin = next_run.astimezone(ZoneInfo("Europe/Berlin"))
    assert next_run.utcoffset() == berlin.utcoffset()  # written in the schedule's own offset
    assert (berlin.hour, berlin.minute) == (9, 0) and berlin.isoweekday() <= 5
    assert utcnow() < next_run < utcnow() + timedelta(days=4)

    preview = [datetime.fromisoformat(run) for run in schedule["preview"]]
    assert len(preview) == 5 and preview[0] == next_run
    assert preview == sorted(preview) and len(set(preview)) == 5
    assert all(run.astimezone(ZoneInfo("Europe/Berlin")).hour == 9 for run in preview)
    assert schedule["preview"][0].endswith(("+01:00", "+02:00"))

    stored = await session.scalar(select(Schedule).where(Schedule.id == uuid.UUID(schedule["id"])))
    assert stored is not None and stored.next_run_at == next_run and stored.created_by_id == owner.user.id

    fetched = await client.get(f"/api/v1/schedules/{schedule['id']}", headers=owner.headers)
    assert fetched.json()["next_run"] == schedule["next_run"]


async def test_utc_schedules_keep_an_explicit_offset(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    body = {"bot_id": await new_bot(client, owner), "cron_expression": "@hourly"}
    schedule = (await client.post("/api/v1/schedules", json=body, headers=owner.headers)).json()
    assert schedule["timezone"] == "UTC"
    assert schedule["cron_expression"] == "0 * * * *"
    assert schedule["next_run"].endswith(":00:00+00:00")


async def test_invalid_schedules_are_422_with_a_clear_message(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    bot_id = await new_bot(client, owner)
    cases = [
        ({"cron_expression": "every morning"}, "invalid_cron", "five fields"),
        ({"cron_expression": "* * * * * *"}, "invalid_cron", "seconds"),
        ({"cron_expression": "0 25 * * *"}, "invalid_cron", "not a valid cron expression"),
        ({"cron_expression": "0 9 * * *", "timezone": "Europe/Atlantis"}, "unknown_timezone", "IANA"),
        ({"cron_expression": "0 0 30 2 *"}, "cron_never_fires", "never runs"),
    ]
    for fields, code, words in cases:
        response = await client.post("/api/v1/schedules", json={"bot_id": bot_id, **fields}, headers=owner.headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], words in error["message"]) == (code, True), error
    assert list(await session.scalars(select(Schedule).where(Schedule.bot_id == uuid.UUID(bot_id)))) == []


async def test_minimum_interval_comes_from_the_setting(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: object
) -> None:
    owner = await make_user(session, settings)
    bot_id = await new_bot(client, owner)
    app.state.settings = settings.model_copy(update={"schedule_min_interval_seconds": 600})  # type: ignore[attr-defined]
    body = {"bot_id": bot_id, "cron_expression": "*/5 * * * *"}
    refused = await client.post("/api/v1/schedules", json=body, headers=owner.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "cron_too_frequent"
    assert refused.json()["error"]["details"]["min_interval_seconds"] == 600
    accepted = await client.post(
        "/api/v1/schedules", json={**body, "cron_expression": "*/10 * * * *"}, headers=owner.headers
    )
    assert accepted.status_code == 201, accepted.text


async def test_the_bot_must_be_the_callers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, stranger = await make_user(session, settings), await make_user(session, settings)
    strangers_bot = await new_bot(client, stranger)
    body = {"bot_id": strangers_bot, "cron_expression": "@daily"}
    response = await client.post("/api/v1/schedules", json=body, headers=owner.headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Bot not found."
    mine = (
        await client.post(
            "/api/v1/schedules", json={**body, "bot_id": await new_bot(client, owner)}, headers=owner.headers
        )
    ).json()
    moved = await client.put(f"/api/v1/schedules/{mine['id']}", json={"bot_id": strangers_bot}, headers=owner.headers)
    assert moved.status_code == 404
    assert (await client.get(f"/api/v1/schedules/{mine['id']}", headers=stranger.headers)).status_code == 404


async def test_update_toggle_and_delete(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    body = {"bot_id": await new_bot(client, owner), "cron_expression": "0 9 * * *", "timezone": "Asia/Tokyo"}
    schedule = (await client.post("/api/v1/schedules", json=body, headers=owner.headers)).json()
    url = f"/api/v1/schedules/{schedule['id']}"

    updated = (await client.put(url, json={"cron_expression": "30 18 * * 5"}, headers=owner.headers)).json()
    assert updated["timezone"] == "Asia/Tokyo"
    assert updated["description"] == "At 18:30, only on Friday"
    tokyo = datetime.fromisoformat(updated["next_run"])
    assert tokyo.isoformat().endswith("+09:00") and (tokyo.hour, tokyo.minute, tokyo.isoweekday()) == (18, 30, 5)

    refused = await client.put(url, json={"timezone": "Tokyo"}, headers=owner.headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_timezone"

    paused = (await client.post(f"{url}/toggle", headers=owner.headers)).json()
    assert paused["is_active"] is False and paused["next_run"] is None
    assert len(paused["preview"]) == 5  # what it would do once resumed
    stored = await session.scalar(select(Schedule).where(Schedule.id == uuid.UUID(schedule["id"])))
    assert stored is not None and stored.next_run_at is None

    resumed = (await client.post(f"{url}/toggle", headers=owner.headers)).json()
    assert resumed["is_active"] is True and resumed["next_run"] == updated["next_run"]

    assert (await client.put(url, json={"is_active": False}, headers=owner.headers)).json()["next_run"] is None

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404


async def test_list_filters_and_paginates(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    first, second = await new_bot(client, owner, "First"), await new_bot(client, owner, "Second")
    created = []
    for bot_id, expression, active in [
        (first, "@daily", True),
        (first, "@hourly", False),
        (second, "@weekly", True),
        (second, "@monthly", True),
    ]:
        body = {"bot_id": bot_id, "cron_expression": expression, "is_active": active}
        response = await client.post("/api/v1/schedules", json=body, headers=owner.headers)
        created.append(response.json()["id"])

    async def ids(**params: object) -> list[str]:
        page = await client.get("/api/v1/schedules", params=params, headers=owner.headers)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    assert await ids() == created[::-1]
    assert await ids(bot_id=first) == [created[1], created[0]]
    assert await ids(is_active="false") == [created[1]]
    assert await ids(bot_id=second, is_active="true") == [created[3], created[2]]

    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/schedules", params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == created[::-1]


async def test_viewers_read_editors_write(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner, viewer = await make_user(session, settings), await make_user(session, settings)
    assert owner.user.default_org_id is not None
    await add_member(session, owner.user.default_org_id, viewer.user, Role.viewer)
    as_viewer = {**viewer.headers, "X-Org-Id": str(owner.user.default_org_id)}
    body = {"bot_id": await new_bot(client, owner), "cron_expression": "@daily"}
    schedule = (await client.post("/api/v1/schedules", json=body, headers=owner.headers)).json()
    assert (await client.get("/api/v1/schedules", headers=as_viewer)).json()["items"][0]["id"] == schedule["id"]
    refused = await client.post(f"/api/v1/schedules/{schedule['id']}/toggle", headers=as_viewer)
    assert refused.status_code == 403


async def test_deleting_the_bot_deletes_its_schedules(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    bot_id = await new_bot(client, owner)
    schedule = (
        await client.post(
            "/api/v1/schedules", json={"bot_id": bot_id, "cron_expression": "@daily"}, headers=owner.headers
        )
    ).json()
    assert (await client.delete(f"/api/v1/bots/{bot_id}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/schedules/{schedule['id']}", headers=owner.headers)).status_code == 404
    session.expunge_all()
    assert await session.scalar(select(Schedule).where(Schedule.id == uuid.UUID(schedule["id"]))) is None


async def test_preview_describes_a_draft_without_saving_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: object
) -> None:
    owner = await make_user(session, settings)
    draft = {"cron_expression": "@daily", "timezone": "America/New_York"}
    answer = await client.post("/api/v1/schedules/preview", json=draft, headers=owner.headers)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["cron_expression"] == "0 0 * * *"
    assert preview["description"] == "At 00:00"
    runs = [datetime.fromisoformat(run) for run in preview["preview"]]
    assert len(runs) == 5 and runs == sorted(runs) and utcnow() < runs[0] <= utcnow() + timedelta(days=1)
    assert all(run.astimezone(ZoneInfo("America/New_York")).hour == 0 for run in runs)
    assert list(await session.scalars(select(Schedule))) == []

    # The errors a save would get, with the same codes, so a form can show them on its fields.
    bad_zone = await client.post(
        "/api/v1/schedules/preview", json={**draft, "timezone": "Mars/Olympus"}, headers=owner.headers
    )
    assert (bad_zone.status_code, bad_zone.json()["error"]["code"]) == (422, "unknown_timezone")
    app.state.settings = settings.model_copy(update={"schedule_min_interval_seconds": 600})  # type: ignore[attr-defined]
    too_often = await client.post(
        "/api/v1/schedules/preview", json={"cron_expression": "*/5 * * * *"}, headers=owner.headers
    )
    assert (too_often.status_code, too_often.json()["error"]["code"]) == (422, "cron_too_frequent")
