from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import AuditLog, BotVersion
from tests.factories import START_URL, make_user

EXTRACT_TITLE = {"mode": "single", "fields": [{"name": "title", "selector": "h1"}]}


async def test_create_update_and_restore_versions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    created = await client.post("/api/v1/bots", json={"name": "Prices", "start_url": START_URL}, headers=owner.headers)
    assert created.status_code == 201, created.text
    bot = created.json()
    assert bot["version"] == 1

    updated = await client.put(
        f"/api/v1/bots/{bot['id']}", json={"name": "Prices v2", "base_version": 1}, headers=owner.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2

    stale = await client.put(
        f"/api/v1/bots/{bot['id']}", json={"name": "lost", "base_version": 1}, headers=owner.headers
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"

    restored = await client.post(f"/api/v1/bots/{bot['id']}/versions/1/restore", headers=owner.headers)
    assert restored.status_code == 200
    assert restored.json()["name"] == "Prices"
    assert restored.json()["version"] == 3

    versions = await client.get(f"/api/v1/bots/{bot['id']}/versions", headers=owner.headers)
    assert [v["version"] for v in versions.json()["items"]] == [3, 2, 1]


async def test_list_paginates_searches_and_sorts(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    names = [f"Bot {index:02d}" for index in range(25)] + ["Price_watch 100%"]
    for name in names:
        assert (
            await client.post("/api/v1/bots", json={"name": name, "start_url": START_URL}, headers=owner.headers)
        ).status_code == 201

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 10, "sort": "name", "order": "asc", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/bots", params=params, headers=owner.headers)).json()
        seen += [bot["name"] for bot in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names)

    newest_first = (await client.get("/api/v1/bots", params={"limit": 3}, headers=owner.headers)).json()
    assert [bot["name"] for bot in newest_first["items"]] == ["Price_watch 100%", "Bot 24", "Bot 23"]
    assert "workflow_json" not in newest_first["items"][0]

    # LIKE wildcards in the search are taken literally.
    found = (await client.get("/api/v1/bots", params={"q": "_watch 100%"}, headers=owner.headers)).json()
    assert [bot["name"] for bot in found["items"]] == ["Price_watch 100%"]
    assert (await client.get("/api/v1/bots", params={"q": "%"}, headers=owner.headers)).json()["items"][0]["name"] == (
        "Price_watch 100%"
    )
    assert (await client.get("/api/v1/bots", params={"q": "bot 0"}, headers=owner.headers)).json()["items"]


async def test_bad_cursor_is_a_clear_422(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    for cursor in ["garbage", "W10", "WyJhIiwiYiJd"]:
        response = await client.get("/api/v1/bots", params={"cursor": cursor}, headers=owner.headers)
        assert response.status_code == 422, cursor
        assert response.json()["error"]["code"] == "invalid_cursor"


async def test_workflow_round_trip_keeps_unknown_presentation_keys(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    workflow = {
        "nodes": [
            {
                "id": "n1",
                "type": "start",
                "position": {"x": 1.5, "y": -2},
                "data": {"urls": [START_URL], "label": "Shop", "color": "#ff0"},
                "selected": True,
                "measured": {"width": 180, "height": 40},
            },
            {"id": "n2", "type": "extract", "position": {"x": 0, "y": 90}, "data": EXTRACT_TITLE},
        ],
        "edges": [{"id": "e1", "source": "n1", "target": "n2", "animated": True}],
        "viewport": {"x": 0, "y": 0, "zoom": 1.25},
    }
    created = await client.post("/api/v1/bots", json={"name": "rt", "workflow_json": workflow}, headers=owner.headers)
    assert created.status_code == 201, created.text
    fetched = await client.get(f"/api/v1/bots/{created.json()['id']}", headers=owner.headers)
    assert fetched.json()["workflow_json"] == workflow


async def test_delete_writes_audit_and_cascades_versions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    bot = (
        await client.post("/api/v1/bots", json={"name": "Short-lived", "start_url": START_URL}, headers=owner.headers)
    ).json()
    await client.put(f"/api/v1/bots/{bot['id']}", json={"description": "v2"}, headers=owner.headers)
    assert (await client.delete(f"/api/v1/bots/{bot['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/bots/{bot['id']}", headers=owner.headers)).status_code == 404
    assert (await client.get(f"/api/v1/bots/{bot['id']}/versions", headers=owner.headers)).status_code == 404
    remaining = await session.scalar(select(func.count()).select_from(BotVersion))
    assert remaining == 0
    audit = (await session.scalars(select(AuditLog).where(AuditLog.action == "bot.deleted"))).one()
    assert audit.target_id == bot["id"]
    assert audit.data == {"name": "Short-lived"}


async def test_unknown_version_is_404(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    bot = (await client.post("/api/v1/bots", json={"name": "v", "start_url": START_URL}, headers=owner.headers)).json()
    assert (await client.get(f"/api/v1/bots/{bot['id']}/versions/7", headers=owner.headers)).status_code == 404
    assert (await client.post(f"/api/v1/bots/{bot['id']}/versions/7/restore", headers=owner.headers)).status_code == 404
    assert (await client.get(f"/api/v1/bots/{bot['id']}/versions/0", headers=owner.headers)).status_code == 422
