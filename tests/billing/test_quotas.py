"""Plans are enforced: bots, schedules, features, monthly quotas and concurrency; refusals say what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.payments.state import change_plan
from scrapeflow.billing.quotas import plan_of
from scrapeflow.billing.usage import add_usage
from scrapeflow.config import Settings
from scrapeflow.kit.time import utcnow
from tests.billing.conftest import LLM_STEP, START_URL, set_plan, workflow
from tests.factories import make_user, personal_org


async def test_plans_are_public_with_their_limits(billed_client: httpx.AsyncClient) -> None:
    answer = await billed_client.get("/api/v1/payments/plans")
    assert answer.status_code == 200
    body = answer.json()
    assert body["billing_enabled"] is True
    plans = {plan["name"]: plan for plan in body["plans"]}
    assert list(plans) == ["free", "starter", "pro", "enterprise"]
    assert [plans[name]["api_requests_per_minute"] for name in plans] == [10, 30, 100, 500]
    assert plans["free"]["features"] == ["webhooks"]
    assert plans["pro"]["features"] == ["browser", "llm", "sheets", "webhooks"]
    assert plans["enterprise"]["bots"] is None  # unlimited
    assert {"retention_days", "priority", "team_members", "min_schedule_interval_seconds"} <= set(plans["pro"])


async def test_the_free_plan_refuses_a_fourth_bot(
    billed_client: httpx.AsyncClient, session: AsyncSession, billed: Settings
) -> None:
    ada = await make_user(session, billed)
    for n in range(3):
        made = await billed_client.post(
            "/api/v1/bots", json={"name": f"b{n}", "start_url": START_URL}, headers=ada.headers
        )
        assert made.status_code == 201, made.text
    refused = await billed_client.post("/api/v1/bots", json={"name": "b4", "start_url": START_URL}, headers=ada.headers)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "PLAN_LIMIT"
    assert "3 bot(s)" in error["message"] and "upgrade" in error["message"]
    await set_plan(session, ada.user.default_org_id, "starter")
    allowed = await billed_client.post("/api/v1/bots", json={"name": "b4", "start_url": START_URL}, headers=ada.headers)
    assert allowed.status_code == 201


async def test_features_over_the_plan_are_refused(
    billed_client: httpx.AsyncClient, session: AsyncSession, billed: Settings
) -> None:
    ada = await make_user(session, billed)
    ai = await billed_client.post(
        "/api/v1/bots", json={"name": "ai", "workflow_json": workflow(LLM_STEP)}, headers=ada.headers
    )
    assert ai.status_code == 403
    assert ai.json()["error"]["code"] == "PLAN_LIMIT"
    assert ai.json()["error"]["details"]["features"] == ["llm"]
    browser = {"name": "js", "start_url": START_URL, "fetch": {"render": "browser"}}
    refused = await billed_client.post("/api/v1/bots", json=browser, headers=ada.headers)
    assert refused.json()["error"]["details"]["features"] == ["browser"]

    plain = (
        await billed_client.post("/api/v1/bots", json={"name": "p", "start_url": START_URL}, headers=ada.headers)
    ).json()
    change = await billed_client.put(
        f"/api/v1/bots/{plain['id']}", json={"workflow_json": workflow(LLM_STEP)}, headers=ada.headers
    )
    assert change.status_code == 403
    assert change.json()["error"]["code"] == "PLAN_LIMIT"
    await set_plan(session, ada.user.default_org_id, "starter")
    assert (await billed_client.post("/api/v1/bots", json=browser, headers=ada.headers)).status_code == 201


async def test_schedules_follow_the_plans_count_and_interval(
    billed_client: httpx.AsyncClient, session: AsyncSession, billed: Settings
) -> None:
    ada = await make_user(session, billed)
    bot = (
        await billed_client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)
    ).json()
    every_five = {"bot_id": bot["id"], "cron_expression": "*/5 * * * *", "timezone": "UTC"}
    too_often = await billed_client.post("/api/v1/schedules", json=every_five, headers=ada.headers)
    assert too_often.status_code == 422  # the free plan's shortest interval is an hour
    hourly = {**every_five, "cron_expression": "0 * * * *"}
    assert (await billed_client.post("/api/v1/schedules", json=hourly, headers=ada.headers)).status_code == 201
    second = await billed_client.post("/api/v1/schedules", json=hourly, headers=ada.headers)
    assert second.status_code == 403
    assert second.json()["error"]["code"] == "PLAN_LIMIT"
    await set_plan(session, ada.user.default_org_id, "pro")
    assert (await billed_client.post("/api/v1/schedules", json=every_five, headers=ada.headers)).status_code == 201


async def test_executions_stop_at_the_monthly_quota_and_the_concurrency(
    billed_client: httpx.AsyncClient, session: AsyncSession, billed: Settings
) -> None:
    ada = await make_user(session, billed)
    org_id = ada.user.default_org_id
    assert org_id is not None
    bot = (
        await billed_client.post("/api/v1/bots", json={"name": "b", "start_url": START_URL}, headers=ada.headers)
    ).json()
    execute = f"/api/v1/bots/{bot['id']}/execute"
    assert (await billed_client.post(execute, headers=ada.headers)).status_code == 202
    busy = await billed_client.post(execute, headers=ada.headers)
    assert busy.status_code == 402
    assert busy.json()["error"]["code"] == "QUOTA_EXCEEDED"
    assert busy.json()["error"]["details"]["quota"] == "concurrent_executions"

    await set_plan(session, org_id, "starter")  # two at a time
    await add_usage(session, org_id, utcnow(), executions=1000)
    used_up = await billed_client.post(execute, headers=ada.headers)
    assert used_up.status_code == 402
    assert used_up.json()["error"]["details"] == {"plan": "starter", "quota": "executions", "limit": 1000, "used": 1000}
    assert "upgrade" in used_up.json()["error"]["message"].lower()

    usage = (await billed_client.get("/api/v1/users/usage", headers=ada.headers)).json()
    assert usage["plan"] == "starter"
    assert usage["usage"]["executions"] == {"used": 1000, "limit": 1000}
    assert usage["usage"]["pages"]["limit"] == 20_000


async def test_a_downgrade_below_this_months_usage_applies_next_month(session: AsyncSession, billed: Settings) -> None:
    ada = await make_user(session, billed)
    organization = await personal_org(session, ada)
    organization.plan = "pro"
    now = datetime(2026, 11, 20, tzinfo=UTC)
    await add_usage(session, organization.id, now, pages=5_000)
    await change_plan(session, organization, "free", now)
    assert organization.plan == "pro"
    assert organization.pending_plan == "free"
    assert organization.pending_plan_at == datetime(2026, 12, 1, tzinfo=UTC)
    await session.flush()
    assert (await plan_of(session, billed, organization.id, now + timedelta(days=1))).name == "pro"
    assert (await plan_of(session, billed, organization.id, datetime(2026, 12, 1, tzinfo=UTC))).name == "free"
    await session.refresh(organization)
    assert (organization.plan, organization.pending_plan) == ("free", None)

    await change_plan(session, organization, "starter", now)  # within the usage: at once
    assert (organization.plan, organization.pending_plan) == ("starter", None)


async def test_invitations_stop_at_the_plans_team_size(
    billed_client: httpx.AsyncClient, session: AsyncSession, billed: Settings
) -> None:
    ada = await make_user(session, billed)
    org_id = ada.user.default_org_id
    await set_plan(session, org_id, "starter")  # three members, invitations included
    invite = f"/api/v1/orgs/{org_id}/invitations"
    for name in ("grace", "linus"):
        made = await billed_client.post(invite, json={"email": f"{name}@example.com"}, headers=ada.headers)
        assert made.status_code == 201, made.text
    full = await billed_client.post(invite, json={"email": "ken@example.com"}, headers=ada.headers)
    assert full.status_code == 403
    assert full.json()["error"]["code"] == "PLAN_LIMIT"
    assert full.json()["error"]["details"] == {"plan": "starter", "limit": 3, "used": 3}
