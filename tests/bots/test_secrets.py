"""Bot secrets: set, listed by name, deleted, audited without values, and typed by `fill` steps in test runs
(the test shop's login form, with its CSRF token, in real Chromium) without ever showing the value."""

from __future__ import annotations

import itertools
import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import BotSecret, Role
from tests.factories import add_member, make_user
from tests.site.members import MEMBER_NAME, MEMBER_PASSWORD

SECRET = "s3cret-value-never-shown"


def login_workflow(shop: str) -> dict[str, Any]:
    steps: list[tuple[str, dict[str, Any]]] = [
        ("fill", {"selector": "input[name=username]", "value": MEMBER_NAME}),
        ("fill", {"selector": "input[name=password]", "secret": "site_password"}),
        ("click", {"selector": "button[type=submit]"}),
        (
            "extract",
            {"fields": [{"name": "title", "selector": ".members-title"}, {"name": "error", "selector": ".error"}]},
        ),
    ]
    nodes = [{"id": "start", "type": "start", "data": {"urls": [f"{shop}/login"]}}]
    nodes += [
        {"id": kind if kind != "fill" else f"fill{i}", "type": kind, "data": data}
        for i, (kind, data) in enumerate(steps)
    ]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "edges": edges}


async def test_secrets_are_set_listed_by_name_and_deleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    viewer = await make_user(session, settings)
    assert owner.user.default_org_id is not None
    await add_member(session, owner.user.default_org_id, viewer.user, Role.viewer)
    bot = (
        await client.post(
            "/api/v1/bots", json={"name": "b", "start_url": "https://example.com/"}, headers=owner.headers
        )
    ).json()
    url = f"/api/v1/bots/{bot['id']}/secrets"

    saved = await client.put(
        url, json={"secrets": {"site_password": SECRET, "api_token": "tok-123456"}}, headers=owner.headers
    )
    assert saved.status_code == 200, saved.text
    assert [item["name"] for item in saved.json()["items"]] == ["api_token", "site_password"]
    assert SECRET not in saved.text and "tok-123456" not in saved.text
    # Replacing one keeps the other; the values are stored sealed.
    await client.put(url, json={"secrets": {"site_password": SECRET + "-2"}}, headers=owner.headers)
    stored = (await session.scalars(select(BotSecret).where(BotSecret.bot_id == uuid.UUID(bot["id"])))).all()
    assert sorted(secret.name for secret in stored) == ["api_token", "site_password"]
    assert all(SECRET not in secret.sealed_value for secret in stored)

    viewer_headers = {**viewer.headers, "X-Org-Id": str(owner.user.default_org_id)}
    listed = await client.get(url, headers=viewer_headers)
    assert [item["name"] for item in listed.json()["items"]] == ["api_token", "site_password"]
    assert SECRET not in listed.text
    assert (await client.put(url, json={"secrets": {"x": "y"}}, headers=viewer_headers)).status_code == 403

    assert (await client.delete(f"{url}/api_token", headers=owner.headers)).status_code == 204
    assert (await client.delete(f"{url}/api_token", headers=owner.headers)).status_code == 404
    assert [item["name"] for item in (await client.get(url, headers=owner.headers)).json()["items"]] == [
        "site_password"
    ]

    for bad in (
        {"secrets": {}},
        {"secrets": {"bad name": "x"}},
        {"secrets": {"ok": ""}},
        {"secrets": {"ok": "x" * 5000}},
    ):
        refused = await client.put(url, json=bad, headers=owner.headers)
        assert refused.status_code == 422, bad
        assert "x" * 100 not in refused.text  # a refused value is not echoed either

    audit = (await client.get(f"/api/v1/orgs/{owner.user.default_org_id}/audit", headers=owner.headers)).json()
    actions = [(entry["action"], entry["data"]) for entry in audit["items"]]
    assert ("bot.secrets_set", {"names": ["api_token", "site_password"]}) in actions
    assert ("bot.secret_deleted", {"name": "api_token"}) in actions
    assert SECRET not in str(audit)


@pytest.mark.usefixtures("allow_local")
async def test_a_test_run_types_a_secret_into_the_login_form_without_showing_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    editor = await make_user(session, settings)
    body = {"name": "members", "workflow_json": login_workflow(shop)}
    bot = (await client.post("/api/v1/bots", json=body, headers=editor.headers)).json()
    test_url = f"/api/v1/bots/{bot['id']}/test"

    missing = (await client.post(test_url, headers=editor.headers)).json()
    assert missing["ok"] is False
    assert missing["error"]["code"] == "SECRET_MISSING"
    assert "site_password" in missing["error"]["message"]

    await client.put(
        f"/api/v1/bots/{bot['id']}/secrets", json={"secrets": {"site_password": "wrong"}}, headers=editor.headers
    )
    wrong = (await client.post(test_url, headers=editor.headers)).json()
    assert wrong["rows"] == [{"title": None, "error": "Wrong name or password."}]

    saved = await client.put(
        f"/api/v1/bots/{bot['id']}/secrets",
        json={"secrets": {"site_password": MEMBER_PASSWORD}},
        headers=editor.headers,
    )
    assert saved.status_code == 200
    response = await client.post(test_url, headers=editor.headers)
    run = response.json()
    assert run["ok"] is True, run
    assert run["rows"] == [{"title": "Members area", "error": None}]
    fill = next(node for node in run["nodes"] if node["node_id"] == "fill1")
    assert fill["values"] == {"selector": "input[name=password]", "secret": "site_password"}
    everything = response.text + saved.text + caplog.text + repr([record.__dict__ for record in caplog.records])
    assert MEMBER_PASSWORD not in everything


@pytest.fixture
def allow_local(app: Any, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1", "test_run_timeout_seconds": 20})
