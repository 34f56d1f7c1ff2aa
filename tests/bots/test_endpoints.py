from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from tests.factories import make_user


async def test_create_update_and_restore_versions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    created = await client.post(
        "/api/v1/bots", json={"name": "Prices", "workflow_json": {"nodes": [], "edges": []}}, headers=owner.headers
    )
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
