"""A bot's fetch settings: user agent, robots.txt, and headers, cookies and proxies kept encrypted."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from tests.factories import make_user


def body_workflow(url: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "data": {"urls": [url]}},
            {"id": "x", "type": "extract", "data": {"fields": [{"name": "body", "selector": "body"}]}},
        ],
        "edges": [{"source": "start", "target": "x"}],
    }


@pytest.fixture
def allow_local(app: Any, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1"})


@pytest.mark.usefixtures("allow_local")
async def test_headers_cookies_and_user_agent_are_sent_and_never_shown(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    owner = await make_user(session, settings)
    fetch = {
        "user_agent": "AcmeMonitor/2.0",
        "headers": {"X-Api-Token": "tok-very-secret"},
        "cookies": {"session": "cookie-very-secret"},
    }
    created = await client.post(
        "/api/v1/bots",
        json={"name": "echo", "workflow_json": body_workflow(f"{shop}/headers"), "fetch": fetch},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    shown = created.json()["fetch"]
    assert shown == {
        "respect_robots": True,
        "user_agent": "AcmeMonitor/2.0",
        "header_names": ["X-Api-Token"],
        "cookie_names": ["session"],
        "proxy_hosts": [],
        "render": "auto",
        "fetcher": "builtin",
        "block": [],
        "capture": [],
        "page_timeout_seconds": None,
    }
    assert "very-secret" not in created.text
    stored = await session.scalar(text("SELECT settings FROM bots"))
    assert "very-secret" not in json.dumps(stored)

    run = (await client.post(f"/api/v1/bots/{created.json()['id']}/test", headers=owner.headers)).json()
    echoed = json.loads(run["rows"][0]["body"])
    assert echoed["headers"]["user-agent"] == "AcmeMonitor/2.0"
    assert echoed["headers"]["x-api-token"] == "tok-very-secret"
    assert echoed["cookies"] == {"session": "cookie-very-secret"}

    # An update without `fetch` keeps the secrets; a partial one changes only what it names.
    bot_id = created.json()["id"]
    await client.put(f"/api/v1/bots/{bot_id}", json={"name": "renamed"}, headers=owner.headers)
    updated = await client.put(f"/api/v1/bots/{bot_id}", json={"fetch": {"cookies": {}}}, headers=owner.headers)
    assert updated.json()["fetch"]["header_names"] == ["X-Api-Token"]
    assert updated.json()["fetch"]["cookie_names"] == []


@pytest.mark.usefixtures("allow_local")
async def test_robots_txt_is_honoured_unless_switched_off(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    owner = await make_user(session, settings)
    workflow = body_workflow(f"{shop}/private/secret.html")
    polite = (
        await client.post("/api/v1/bots", json={"name": "polite", "workflow_json": workflow}, headers=owner.headers)
    ).json()
    refused = (await client.post(f"/api/v1/bots/{polite['id']}/test", headers=owner.headers)).json()
    assert refused["error"]["code"] == "ROBOTS_DISALLOWED"

    rude = await client.post(
        "/api/v1/bots",
        json={"name": "rude", "workflow_json": workflow, "fetch": {"respect_robots": False}},
        headers=owner.headers,
    )
    allowed = (await client.post(f"/api/v1/bots/{rude.json()['id']}/test", headers=owner.headers)).json()
    assert allowed["ok"] is True, allowed


async def test_bad_fetch_settings_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    for fetch in [
        {"proxies": ["ftp://proxy.example:21"]},
        {"headers": {"Host": "evil.example"}},
        {"headers": {"bad header": "x"}},
        {"timeout": 5},
    ]:
        response = await client.post(
            "/api/v1/bots",
            json={"name": "x", "start_url": "https://example.com/", "fetch": fetch},
            headers=owner.headers,
        )
        assert response.status_code == 422, fetch


async def test_proxies_are_shown_without_credentials(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    response = await client.post(
        "/api/v1/bots",
        json={
            "name": "proxied",
            "start_url": "https://example.com/",
            "fetch": {"proxies": ["http://scraper:hunter2@proxy-a.example:3128", "https://proxy-b.example"]},
        },
        headers=owner.headers,
    )
    assert response.json()["fetch"]["proxy_hosts"] == ["proxy-a.example:3128", "proxy-b.example:443"]
    assert "hunter2" not in response.text
