"""HTTP endpoints for bots and their versions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from scrapeflow.auth.subject import BotsRead, BotsWrite
from scrapeflow.billing import service as billing_service
from scrapeflow.billing.endpoints import RunLimited
from scrapeflow.bots import llm_memory
from scrapeflow.bots import secrets as bot_secrets
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.schemas import (
    Bot,
    BotCreate,
    BotListItem,
    BotListParams,
    BotSecretName,
    BotSecrets,
    BotSecretsUpdate,
    BotUpdate,
    BotVersion,
    LearnedSelectors,
    LearnedSelectorsList,
    SecretName,
    TestRun,
    TestRunRequest,
    UnsavedTestRunRequest,
)
from scrapeflow.bots.test_runs import browser_pool, run_bot_test, run_workflow_test
from scrapeflow.db import SessionDep
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.kit.http import SecretBoxDep, SettingsDep
from scrapeflow.kit.pagination import Page, PageParamsDep
from scrapeflow.kit.stamped_responses import allow_caching
from scrapeflow.workflow.compiler import validate
from scrapeflow.workflow.schemas import ValidationIssue, WorkflowValidate, WorkflowValidation

router = APIRouter(prefix="/bots", tags=["bots"])


async def get_browser_pool(request: Request, settings: SettingsDep) -> BrowserPool:
    """The API process's browser for test runs; `create_app` closes it on shutdown."""
    pools = request.app.state.browser_pools
    return browser_pool(pools, settings)


BrowserPoolDep = Annotated[BrowserPool, Depends(get_browser_pool)]

VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="A version number from the bot's history.")]


@router.get("", summary="List bots")
async def list_bots(
    request: Request, subject: BotsRead, session: SessionDep, query: Annotated[BotListParams, Query()]
) -> Page[BotListItem]:
    """Each bot with its latest execution and its next scheduled run. What dashboards poll: the answer may be
    kept until a bot, a schedule or an execution's status changes (each renews the organization's stamp)."""
    items, next_cursor = await bots_service.list_bots(session, subject, query)
    allow_caching(request, subject.freshness)
    return Page(
        items=[BotListItem.of(item.bot, item.last_execution, item.next_run_at) for item in items],
        next_cursor=next_cursor,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a bot")
async def create_bot(
    body: BotCreate, subject: BotsWrite, session: SessionDep, box: SecretBoxDep, settings: SettingsDep
) -> Bot:
    """403 `PLAN_LIMIT` past the plan's number of bots, or for a step the plan does not include."""
    await billing_service.guard_new_bot(session, settings, subject, body)
    return Bot.of(await bots_service.create(session, subject, body, box))


@router.post("/validate", summary="Check a workflow without saving it")
async def validate_workflow(body: WorkflowValidate, subject: BotsRead) -> WorkflowValidation:
    """Returns every problem, each with the node id, the field and a sentence to show on the canvas."""
    plan, issues = validate(body.workflow_json)
    return WorkflowValidation(
        valid=plan is not None,
        issues=[ValidationIssue(**issue.as_dict()) for issue in issues],
        needs_browser=plan.needs_browser if plan else False,
        uses_llm=plan.uses_llm if plan else False,
    )


@router.post("/test", summary="Test an unsaved workflow on one page", dependencies=[RunLimited])
async def run_test_on_workflow(
    body: UnsavedTestRunRequest,
    subject: BotsWrite,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    browser: BrowserPoolDep,
) -> TestRun:
    """Runs the workflow on its first page (or `url`) and returns each node's output: rows, values, errors, timing."""
    return await run_workflow_test(
        session, subject, body.workflow_json, body.url, settings=settings, box=box, browser=browser
    )


@router.get("/{bot_id}", summary="Get a bot")
async def get_bot(bot_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> Bot:
    return Bot.of(await bots_service.get(session, subject, bot_id))


@router.put("/{bot_id}", summary="Update a bot (saves a new version)")
async def update_bot(
    bot_id: uuid.UUID,
    body: BotUpdate,
    subject: BotsWrite,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> Bot:
    await billing_service.guard_bot_change(session, settings, subject, bot_id, body)
    return Bot.of(await bots_service.update_bot(session, subject, bot_id, body, box))


@router.delete("/{bot_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a bot")
async def delete_bot(bot_id: uuid.UUID, subject: BotsWrite, session: SessionDep) -> None:
    await bots_service.delete(session, subject, bot_id)


@router.post("/{bot_id}/test", summary="Test a bot on one page", dependencies=[RunLimited])
async def run_test_on_bot(
    bot_id: uuid.UUID,
    subject: BotsWrite,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    browser: BrowserPoolDep,
    body: TestRunRequest | None = None,
) -> TestRun:
    """Runs the saved workflow on its first page (or `url`) within the test-run time limit."""
    url = body.url if body else None
    return await run_bot_test(session, subject, bot_id, url, settings=settings, box=box, browser=browser)


@router.get("/{bot_id}/versions", summary="List a bot's versions")
async def list_versions(
    bot_id: uuid.UUID, subject: BotsRead, session: SessionDep, page: PageParamsDep
) -> Page[BotVersion]:
    items, next_cursor = await bots_service.list_versions(session, subject, bot_id, page)
    return Page(items=[BotVersion.model_validate(v) for v in items], next_cursor=next_cursor)


@router.get("/{bot_id}/versions/{version}", summary="Get one version of a bot")
async def get_version(bot_id: uuid.UUID, version: VersionNumber, subject: BotsRead, session: SessionDep) -> BotVersion:
    return BotVersion.model_validate(await bots_service.get_version(session, subject, bot_id, version))


@router.post("/{bot_id}/versions/{version}/restore", summary="Restore a version")
async def restore_version(bot_id: uuid.UUID, version: VersionNumber, subject: BotsWrite, session: SessionDep) -> Bot:
    """Saves the old version's content as a new version."""
    return Bot.of(await bots_service.restore(session, subject, bot_id, version))


@router.get("/{bot_id}/secrets", summary="List a bot's secrets (names only)")
async def list_secrets(bot_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> BotSecrets:
    """Values are never returned: `fill` steps name a secret, and only runs type its value."""
    items = await bot_secrets.list_secrets(session, subject, bot_id)
    return BotSecrets(items=[BotSecretName.model_validate(secret) for secret in items])


@router.put("/{bot_id}/secrets", summary="Set or replace some of a bot's secrets")
async def put_secrets(
    bot_id: uuid.UUID, body: BotSecretsUpdate, subject: BotsWrite, session: SessionDep, box: SecretBoxDep
) -> BotSecrets:
    """Stored encrypted; secrets not named in the body are kept. Answers with the names only."""
    values = {name: value.get_secret_value() for name, value in body.secrets.items()}
    items = await bot_secrets.put_secrets(session, subject, bot_id, values, box)
    return BotSecrets(items=[BotSecretName.model_validate(secret) for secret in items])


@router.delete("/{bot_id}/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a bot's secret")
async def delete_secret(
    bot_id: uuid.UUID, name: Annotated[SecretName, Path()], subject: BotsWrite, session: SessionDep
) -> None:
    await bot_secrets.delete_secret(session, subject, bot_id, name)


@router.get("/{bot_id}/learned-selectors", summary="What the bot's AI extraction has learned")
async def list_learned_selectors(bot_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> LearnedSelectorsList:
    """Per `llm_extract` node, the selectors learned from the model's answers and verified on the page; pages
    they fit are extracted with no LLM call."""
    learned = await llm_memory.list_learned(session, subject, bot_id)
    return LearnedSelectorsList(
        items=[
            LearnedSelectors.model_validate({"node_id": s.node_id, "updated_at": s.updated_at, **s.selectors})
            for s in learned
        ]
    )


@router.delete(
    "/{bot_id}/learned-selectors", status_code=status.HTTP_204_NO_CONTENT, summary="Forget learned selectors"
)
async def clear_learned_selectors(
    bot_id: uuid.UUID,
    subject: BotsWrite,
    session: SessionDep,
    node_id: Annotated[str | None, Query(max_length=1000, description="Only this node's.")] = None,
) -> None:
    """The next pages ask the LLM again (or reuse its cached answers) and learn afresh."""
    await llm_memory.clear_learned(session, subject, bot_id, node_id)
