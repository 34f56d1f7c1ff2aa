"""Bots: create, read, update with a version per save, restore, delete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.bots import fetch_settings
from scrapeflow.bots.fetch_settings import FetchSettingsInput
from scrapeflow.bots.schemas import BotCreate, BotListParams, BotSort, BotUpdate
from scrapeflow.config import Settings
from scrapeflow.engine.llm import LlmConfig
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import Conflict, NotFound, Unprocessable
from scrapeflow.kit.pagination import PageParams, paginate, paginate_rows
from scrapeflow.kit.stamps import mark_changed, org_stamp
from scrapeflow.models import Bot, BotVersion, Execution, Schedule
from scrapeflow.orgs import audit
from scrapeflow.orgs import fetch as org_fetch
from scrapeflow.orgs import llm as org_llm
from scrapeflow.orgs import service as orgs_service
from scrapeflow.workflow.compiler import validate
from scrapeflow.workflow.plan import Plan

_SORT_COLUMNS = {BotSort.created_at: Bot.created_at, BotSort.updated_at: Bot.updated_at, BotSort.name: Bot.name}
_DOCUMENT_FIELDS = ("name", "description", "start_url", "workflow_json", "settings")


@dataclass(frozen=True, slots=True)
class BotActivity:
    """A bot in the list with its last execution (None: never run) and its soonest active schedule's next run."""

    bot: Bot
    last_execution: Execution | None
    next_run_at: datetime | None


async def list_bots(
    session: AsyncSession, subject: AuthSubject, params: BotListParams
) -> tuple[list[BotActivity], str | None]:
    # The list shows summaries: leave the documents (often kilobytes each) in the database.
    summary_only = (defer(Bot.workflow_json, raiseload=True), defer(Bot.settings, raiseload=True))
    # One query for the page: each bot's latest execution (found through the (org, bot, created_at) index) and
    # its soonest active schedule ride along as a join and a scalar subquery, never one query per bot.
    latest_id = (
        select(Execution.id)
        .where(Execution.org_id == Bot.org_id, Execution.bot_id == Bot.id)
        .order_by(Execution.created_at.desc(), Execution.id.desc())
        .limit(1)
        .correlate(Bot)
        .scalar_subquery()
    )
    next_run = (
        select(func.min(Schedule.next_run_at))
        .where(Schedule.org_id == Bot.org_id, Schedule.bot_id == Bot.id, Schedule.is_active.is_(True))
        .correlate(Bot)
        .scalar_subquery()
    )
    last = aliased(Execution, name="last_execution")
    statement = (
        scoped(select(Bot, last, next_run.label("next_run_at")), subject, Bot)
        .outerjoin(last, last.id == latest_id)
        .options(*summary_only)
    )
    if params.q:
        escaped = params.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Bot.name).like(f"%{escaped.lower()}%", escape="\\"))
    rows, cursor = await paginate_rows(
        session, statement, params, sort=_SORT_COLUMNS[params.sort], tiebreak=Bot.id, direction=params.order
    )
    return [BotActivity(bot, execution, next_run_at) for bot, execution, next_run_at in rows], cursor


async def get(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID) -> Bot:
    bot = await session.scalar(scoped(select(Bot), subject, Bot).where(Bot.id == bot_id))
    if bot is None:
        raise NotFound("Bot not found.")
    return bot


def _snapshot(bot: Bot, subject: AuthSubject, message: str) -> BotVersion:
    return BotVersion(
        org_id=bot.org_id,
        bot_id=bot.id,
        version=bot.version,
        message=message,
        created_by_id=subject.user_id,
        **{field: getattr(bot, field) for field in _DOCUMENT_FIELDS},
    )


def compile_or_422(document: dict[str, Any]) -> Plan:
    plan, issues = validate(document)
    if plan is None:
        raise Unprocessable(
            f"The workflow has {len(issues)} problem(s): {issues[0].message}",
            code="invalid_workflow",
            details={"issues": [issue.as_dict() for issue in issues]},
        )
    return plan


async def create(session: AsyncSession, subject: AuthSubject, body: BotCreate, box: SecretBox) -> Bot:
    assert body.workflow_json is not None  # BotCreate fills it from start_url
    compile_or_422(body.workflow_json)
    bot = Bot(
        org_id=subject.org_id,
        name=body.name,
        description=body.description,
        start_url=body.start_url,
        workflow_json=body.workflow_json,
        settings={
            **fetch_settings.merge({}, body.fetch or FetchSettingsInput(), box),
            "review_before_export": body.review_before_export,
        },
        version=1,
        created_by_id=subject.user_id,
    )
    session.add(bot)
    await session.flush()
    mark_changed(session, org_stamp(subject.org_id))  # the bot list
    session.add(_snapshot(bot, subject, "Created"))
    await session.flush()
    return bot


async def _save_new_version(
    session: AsyncSession,
    subject: AuthSubject,
    bot: Bot,
    changes: dict[str, Any],
    message: str,
    base_version: int | None,
) -> Bot:
    """Apply changes and bump the version atomically, so two saves never claim one version number."""
    statement = update(Bot).where(Bot.id == bot.id, Bot.org_id == subject.org_id)
    if base_version is not None:
        statement = statement.where(Bot.version == base_version)
    result = await session.execute(
        statement.values(version=Bot.version + 1, **changes).returning(Bot.version),
        execution_options={"synchronize_session": False},
    )
    new_version = result.scalar_one_or_none()
    if new_version is None:
        raise Conflict(
            "Someone saved this bot since you opened it; reload to see their changes.",
            code="version_conflict",
            details={"current_version": bot.version},
        )
    await session.refresh(bot)
    mark_changed(session, org_stamp(subject.org_id))
    session.add(_snapshot(bot, subject, message))
    await session.flush()
    return bot


async def update_bot(
    session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, body: BotUpdate, box: SecretBox
) -> Bot:
    bot = await get(session, subject, bot_id)
    changes = body.model_dump(include={"name", "description", "start_url", "workflow_json"}, exclude_unset=True)
    changes = {key: value for key, value in changes.items() if value is not None or key == "start_url"}
    if "workflow_json" in changes:
        compile_or_422(changes["workflow_json"])
    if body.fetch is not None:
        changes["settings"] = fetch_settings.merge(bot.settings, body.fetch, box)
    if body.review_before_export is not None:
        changes["settings"] = {
            **changes.get("settings", bot.settings),
            "review_before_export": body.review_before_export,
        }
    return await _save_new_version(session, subject, bot, changes, body.message or "Saved", body.base_version)


async def delete(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID) -> None:
    bot = await get(session, subject, bot_id)
    audit.record_by(session, subject, "bot.deleted", target_type="bot", target_id=bot.id, data={"name": bot.name})
    await session.delete(bot)
    mark_changed(session, org_stamp(subject.org_id))
    await session.flush()


async def list_versions(
    session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, params: PageParams
) -> tuple[list[BotVersion], str | None]:
    await get(session, subject, bot_id)
    statement = scoped(select(BotVersion), subject, BotVersion).where(BotVersion.bot_id == bot_id)
    return await paginate(session, statement, params, sort=BotVersion.version, tiebreak=BotVersion.id)


async def get_version(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, version: int) -> BotVersion:
    snapshot = await session.scalar(
        scoped(select(BotVersion), subject, BotVersion).where(
            BotVersion.bot_id == bot_id, BotVersion.version == version
        )
    )
    if snapshot is None:
        raise NotFound(f"Version {version} of this bot does not exist.")
    return snapshot


async def restore(session: AsyncSession, subject: AuthSubject, bot_id: uuid.UUID, version: int) -> Bot:
    """Restoring writes a new version equal to the old one; history is never rewritten."""
    bot = await get(session, subject, bot_id)
    snapshot = await get_version(session, subject, bot_id, version)
    changes = {field: getattr(snapshot, field) for field in _DOCUMENT_FIELDS}
    return await _save_new_version(session, subject, bot, changes, f"Restored version {version}", None)


async def fetch_overrides(session: AsyncSession, subject: AuthSubject, bot: Bot, box: SecretBox) -> dict[str, Any]:
    """The bot's fetch options; a bot with no proxies of its own uses its organization's."""
    overrides = fetch_settings.fetch_overrides(bot.settings, box)
    if not overrides["proxies"]:
        organization = await orgs_service.get(session, subject)
        overrides["proxies"] = tuple(org_fetch.proxies(organization, box))
    return overrides


async def llm_config(
    session: AsyncSession, subject: AuthSubject, settings: Settings, box: SecretBox
) -> LlmConfig | None:
    """The LLM the organization's bots use: its own key, else the server's, else None (deterministic extraction)."""
    chosen = org_llm.resolve(await orgs_service.get(session, subject), settings, box)
    if chosen is None:
        return None
    return LlmConfig(
        api_key=chosen.api_key,
        model=chosen.model,
        base_url=chosen.base_url,
        timeout_seconds=settings.llm_timeout_seconds,
        paid_by=chosen.paid_by,
        # An organization chose this URL: every call to it passes the SSRF guard (the server's own is trusted).
        guard=SsrfGuard(FetchAllowlist.parse(settings.fetch_allowlist)) if chosen.paid_by == "organization" else None,
    )
