"""Enforcing the plans: what an organization may create or run, and how far a running execution may go."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.billing.plans import PLANS, Feature, Plan, effective_plan
from scrapeflow.billing.usage import counter_for_update, current_usage
from scrapeflow.config import Settings
from scrapeflow.executions import logs
from scrapeflow.kit.errors import AppError
from scrapeflow.models import (
    Bot,
    Execution,
    ExecutionStatus,
    Invitation,
    Membership,
    Organization,
    Page,
    ResultRow,
    Schedule,
)
from scrapeflow.workflow.plan import Plan as Workflow

UPGRADE = "Upgrade your plan (POST /api/v1/payments/subscribe) or wait for next month's usage period."
UNFINISHED = (ExecutionStatus.queued, ExecutionStatus.running)
CAP_KEYS = ("max_pages", "max_tokens", "max_cost")


class QuotaExceeded(AppError):
    """A monthly or concurrent allowance is used up."""

    status_code = 402
    code = "QUOTA_EXCEEDED"


class PlanLimit(AppError):
    """Something the plan does not include (a feature, more bots or schedules than it allows)."""

    status_code = 403
    code = "PLAN_LIMIT"


def page_credits(pages: int, llm_tokens: int) -> int:
    """The cost of a run in the plans' unit, credits: one per page and one per 1,000 LLM tokens."""
    return pages + -(-llm_tokens // 1000)


async def plan_of(session: AsyncSession, settings: Settings, org_id: uuid.UUID, now: datetime) -> Plan:
    """The organization's plan now; a downgrade waiting for the new period takes effect once it has begun."""
    row = (
        await session.execute(
            select(Organization.plan, Organization.pending_plan, Organization.pending_plan_at).where(
                Organization.id == org_id
            )
        )
    ).first()
    if row is None:
        return effective_plan(settings, None)
    plan, pending, pending_at = row
    if pending is not None and pending_at is not None and pending_at <= now:
        await session.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values(plan=pending, pending_plan=None, pending_plan_at=None)
        )
        plan = pending
    return effective_plan(settings, plan)


def retention_by_plan() -> list[tuple[int, ColumnElement[bool]]]:
    """Each plan's retention days and its organizations (an unknown plan keeps the free plan's)."""
    paid = [name for name in PLANS if name != "free"]
    passes = [(PLANS[name].retention_days, Organization.plan == name) for name in paid]
    return [*passes, (PLANS["free"].retention_days, Organization.plan.not_in(paid))]


def _over(limit: int | None, used: int) -> bool:
    return limit is not None and used >= limit


def check_features(plan: Plan, workflow: Workflow, render: str) -> None:
    """Refuse a bot that uses what the plan does not include."""
    wanted = {
        Feature.browser: workflow.needs_browser or render == "browser",
        Feature.llm: workflow.uses_llm,
        Feature.sheets: any(step.type == "export_sheets" for step in workflow.sinks),
        Feature.webhooks: any(step.type == "export_webhook" for step in workflow.sinks),
    }
    missing = sorted(feature.value for feature, used in wanted.items() if used and not plan.allows(feature))
    if missing:
        raise PlanLimit(
            f"The {plan.title} plan does not include {', '.join(missing)}; upgrade your plan or remove those steps.",
            details={"plan": plan.name, "features": missing},
        )


async def check_new_bot(session: AsyncSession, plan: Plan, org_id: uuid.UUID) -> None:
    count = await session.scalar(select(func.count()).select_from(Bot).where(Bot.org_id == org_id)) or 0
    if _over(plan.bots, count):
        raise PlanLimit(
            f"The {plan.title} plan allows {plan.bots} bot(s); delete one or upgrade your plan.",
            details={"plan": plan.name, "limit": plan.bots, "used": count},
        )


async def check_new_schedule(session: AsyncSession, plan: Plan, org_id: uuid.UUID) -> None:
    count = await session.scalar(select(func.count()).select_from(Schedule).where(Schedule.org_id == org_id)) or 0
    if _over(plan.schedules, count):
        raise PlanLimit(
            f"The {plan.title} plan allows {plan.schedules} schedule(s); delete one or upgrade your plan.",
            details={"plan": plan.name, "limit": plan.schedules, "used": count},
        )


async def check_new_member(session: AsyncSession, plan: Plan, org_id: uuid.UUID, now: datetime) -> None:
    """Members and pending invitations together may not pass the plan's team size."""
    members = await session.scalar(select(func.count()).select_from(Membership).where(Membership.org_id == org_id))
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.org_id == org_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    used = (members or 0) + (pending or 0)
    if _over(plan.team_members, used):
        raise PlanLimit(
            f"The {plan.title} plan has room for {plan.team_members} team member(s), invitations included; "
            "revoke an invitation, remove a member or upgrade your plan.",
            details={"plan": plan.name, "limit": plan.team_members, "used": used},
        )


def schedule_interval(settings: Settings, plan: Plan) -> int:
    """The shortest interval a schedule may have: the plan's, never below the server's floor."""
    return max(settings.schedule_min_interval_seconds, plan.min_schedule_interval_seconds)


async def check_execution(session: AsyncSession, plan: Plan, org_id: uuid.UUID, now: datetime) -> None:
    """Refuse a run the month's allowances (executions, pages, tokens, stored rows) or concurrency can't take."""
    usage = await current_usage(session, org_id, now)
    running = await session.scalar(
        select(func.count()).select_from(Execution).where(Execution.org_id == org_id, Execution.status.in_(UNFINISHED))
    )
    if _over(plan.concurrent_executions, running or 0):
        raise QuotaExceeded(
            f"The {plan.title} plan runs {plan.concurrent_executions} execution(s) at a time; wait for one to "
            "finish, cancel one, or upgrade your plan.",
            details={"plan": plan.name, "quota": "concurrent_executions", "limit": plan.concurrent_executions},
        )
    for quota, limit in (("executions", plan.executions_per_month), ("pages", plan.pages_per_month)):
        if _over(limit, usage[quota]):
            raise QuotaExceeded(
                f"This month's {quota} ({limit}) are used up. {UPGRADE}",
                details={"plan": plan.name, "quota": quota, "limit": limit, "used": usage[quota]},
            )
    if plan.rows_stored is not None:
        stored = await session.scalar(select(func.count()).select_from(ResultRow).where(ResultRow.org_id == org_id))
        if _over(plan.rows_stored, stored or 0):
            raise QuotaExceeded(
                f"Your organization stores {stored} rows, the {plan.title} plan's limit; delete old executions or "
                "upgrade your plan.",
                details={"plan": plan.name, "quota": "rows_stored", "limit": plan.rows_stored, "used": stored},
            )


def execution_caps(
    settings: Settings, plan: Plan, workflow: Workflow, requested: dict[str, int | None]
) -> dict[str, Any]:
    """What an execution carries: the caps asked for, the page limit they come to, and the plan's page quota."""
    caps: dict[str, Any] = {key: value for key, value in requested.items() if value is not None}
    tokens_per_page = llm_tokens_per_page(settings, workflow)
    limits = [caps["max_pages"]] if "max_pages" in caps else []
    if "max_tokens" in caps and tokens_per_page:
        limits.append(caps["max_tokens"] // tokens_per_page)
    if "max_cost" in caps:
        limits.append(caps["max_cost"] // page_credits(1, tokens_per_page))
    if limits:
        caps["page_limit"] = min(limits)
    if plan.pages_per_month is not None:
        caps["plan_pages"] = plan.pages_per_month
    if plan.llm_tokens_per_month is not None:
        caps["plan_tokens"] = plan.llm_tokens_per_month
    return caps


def llm_tokens_per_page(settings: Settings, workflow: Workflow) -> int:
    steps = sum(1 for step in workflow.post_steps if step.type == "llm_extract")
    return steps * settings.estimate_llm_tokens_per_page


async def admit_pages(session: AsyncSession, execution: Execution, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the pages an execution is about to claim, those its cap and the month's page quota leave room for.

    The month's counter row is locked while the room is counted (PostgreSQL), so two executions of one
    organization claiming at once cannot both take the last pages."""
    caps = dict(execution.caps or {})
    rooms: list[tuple[int, str, str]] = []
    if "page_limit" in caps or "plan_pages" in caps:
        known = await session.scalar(
            select(func.count())
            .select_from(Page)
            .where(Page.org_id == execution.org_id, Page.execution_id == execution.id)
        )
        if "page_limit" in caps:
            message = f"Stopped at the execution's cap of {caps['page_limit']} page(s)."
            rooms.append((caps["page_limit"] - (known or 0), "CAP_REACHED", message))
    if "plan_pages" in caps:
        counter = await counter_for_update(session, execution.org_id, execution.created_at)
        in_flight = await session.scalar(
            select(func.count())
            .select_from(Page)
            .join(Execution, Execution.id == Page.execution_id)
            .where(Page.org_id == execution.org_id, Execution.org_id == execution.org_id)
            .where(Execution.status.in_(UNFINISHED))
        )
        message = f"Stopped at the plan's monthly page quota ({caps['plan_pages']}). {UPGRADE}"
        rooms.append((caps["plan_pages"] - counter.pages - (in_flight or 0), "QUOTA_EXCEEDED", message))
    if not rooms:
        return rows
    room, code, message = min(rooms)
    if len(rows) <= room:
        return rows
    await stop(session, execution, code, message)
    return rows[: max(room, 0)]


async def stop(session: AsyncSession, execution: Execution, code: str, message: str) -> None:
    """Record why the execution stopped early (the first reason stands); `settle` ends it on that."""
    caps = dict(execution.caps or {})
    if "stopped" not in caps:
        execution.caps = {**caps, "stopped": {"code": code, "message": message}}
        await logs.append(session, execution, message, event="capped", level="warning", code=code)


async def token_limit(
    session: AsyncSession, execution: Execution, spent: int, *, server_key: bool
) -> tuple[str, str] | None:
    """Before more AI extraction: None while the execution may spend LLM tokens, else why not (code, message).

    `spent` is what this run of the stage used so far; on the server's key (`server_key`) the plan's monthly
    tokens apply too (an organization's own key is its own business)."""
    caps = execution.caps or {}
    used = execution.llm_tokens + spent
    if "max_tokens" in caps and used >= caps["max_tokens"]:
        return "CAP_REACHED", f"Stopped AI extraction at the execution's cap of {caps['max_tokens']} LLM tokens."
    if "max_cost" in caps and page_credits(execution.pages_done, used) >= caps["max_cost"]:
        return "CAP_REACHED", f"Stopped AI extraction at the execution's cost cap of {caps['max_cost']} credits."
    if server_key and "plan_tokens" in caps:
        month = await current_usage(session, execution.org_id, execution.created_at)
        if month["llm_tokens"] + spent >= caps["plan_tokens"]:
            limit = caps["plan_tokens"]
            return "QUOTA_EXCEEDED", f"Stopped AI extraction at the plan's {limit} LLM tokens this month. {UPGRADE}"
    return None


def settle(execution: Execution) -> None:
    """An execution a cap or quota stopped ends `partially_succeeded`, saying why."""
    stopped = (execution.caps or {}).get("stopped")
    if stopped is None or execution.status is ExecutionStatus.failed:
        return
    execution.status = ExecutionStatus.partially_succeeded
    execution.error_message = " ".join(filter(None, (stopped["message"], execution.error_message)))
    execution.error_code = stopped["code"]
