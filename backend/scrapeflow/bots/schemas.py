"""Request and response bodies for bots and their versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, model_validator

from scrapeflow import models
from scrapeflow.bots.fetch_settings import FetcherName, FetchSettings, FetchSettingsInput, public_view
from scrapeflow.engine.llm import Payer
from scrapeflow.kit.pagination import PageParams, SortDirection
from scrapeflow.kit.schemas import InputSchema, LongText, Name, Schema, ensure_storable
from scrapeflow.models import ExecutionStatus

WORKFLOW_EXAMPLE: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"urls": ["https://example.com/"]}},
        {
            "id": "extract",
            "type": "extract",
            "position": {"x": 0, "y": 120},
            "data": {"mode": "single", "fields": [{"name": "title", "selector": "h1", "selector_type": "css"}]},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "extract"}],
}


def _workflow_document(value: dict[str, Any]) -> dict[str, Any]:
    for key in ("nodes", "edges"):
        if key in value and not isinstance(value[key], list):
            raise ValueError(f"`{key}` must be a list")
    return dict(ensure_storable(value))


Workflow = Annotated[
    dict[str, Any],
    AfterValidator(_workflow_document),
    Field(description="The React Flow document the editor saves: `{nodes, edges}`.", examples=[WORKFLOW_EXAMPLE]),
]
StartUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(lambda v: ensure_storable(v))]


class BotSort(StrEnum):
    created_at = "created_at"
    updated_at = "updated_at"
    name = "name"


class BotListParams(PageParams):
    q: str | None = Field(None, max_length=200, description="Only bots whose name contains this.")
    sort: BotSort = BotSort.updated_at
    order: SortDirection = SortDirection.desc


def starter_workflow(start_url: str) -> dict[str, Any]:
    """The smallest valid workflow: a Start step on the bot's start URL."""
    node = {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"urls": [start_url]}}
    return {"nodes": [node], "edges": []}


class BotCreate(InputSchema):
    """Give a `workflow_json`, or only a `start_url` to begin with a single Start step."""

    name: Name
    description: LongText = ""
    start_url: StartUrl | None = None
    workflow_json: Workflow | None = None
    fetch: FetchSettingsInput | None = None
    review_before_export: bool = Field(
        False, description="Hold each run's rows for review; only approved rows are exported."
    )

    @model_validator(mode="after")
    def _workflow_or_start_url(self) -> BotCreate:
        if self.workflow_json is None:
            if not self.start_url:
                raise ValueError("Give a workflow_json, or a start_url to begin from.")
            self.workflow_json = starter_workflow(self.start_url)
        return self


class BotUpdate(InputSchema):
    """Fields left out keep their value. Every update is saved as a new version."""

    name: Name | None = None
    description: LongText | None = None
    start_url: StartUrl | None = None
    workflow_json: Workflow | None = None
    fetch: FetchSettingsInput | None = None
    review_before_export: bool | None = None
    base_version: int | None = Field(
        default=None,
        ge=1,
        description="The version you edited; the update is refused (409) if someone saved a newer one meanwhile.",
    )
    message: Annotated[str, StringConstraints(max_length=500)] = ""


class BotSummary(Schema):
    id: uuid.UUID
    name: str
    description: str
    start_url: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class LastExecution(Schema):
    """The bot's most recent execution, whatever started it."""

    id: uuid.UUID
    status: ExecutionStatus
    created_at: datetime
    finished_at: datetime | None


class BotListItem(BotSummary):
    last_execution: LastExecution | None = Field(description="The latest execution; null if the bot never ran.")
    next_run_at: datetime | None = Field(
        description="When the bot's soonest active schedule runs next (UTC); null without an active schedule."
    )

    @classmethod
    def of(cls, bot: Any, last_execution: Any, next_run_at: datetime | None) -> BotListItem:
        """From a bot row, its latest execution row (or None) and its next run."""
        return cls(
            **BotSummary.model_validate(bot).model_dump(),
            last_execution=LastExecution.model_validate(last_execution) if last_execution is not None else None,
            next_run_at=next_run_at,
        )


class Bot(BotSummary):
    workflow_json: dict[str, Any]
    fetch: FetchSettings
    review_before_export: bool = Field(description="Runs wait in `awaiting_review` until their rows are reviewed.")

    @classmethod
    def of(cls, bot: models.Bot) -> Bot:
        return cls.model_validate(
            {
                **BotSummary.model_validate(bot).model_dump(),
                "workflow_json": bot.workflow_json,
                "fetch": public_view(bot.settings),
                "review_before_export": bool(bot.settings.get("review_before_export")),
            }
        )


class BotVersion(Schema):
    version: int
    name: str
    description: str
    start_url: str | None
    workflow_json: dict[str, Any]
    message: str
    created_by_id: uuid.UUID | None
    created_at: datetime


class TestRunRequest(InputSchema):
    url: StartUrl | None = Field(default=None, description="Test on this page instead of the bot's first one.")


class UnsavedTestRunRequest(TestRunRequest):
    workflow_json: Workflow


class TestRunError(Schema):
    code: str
    message: str


class NodeRun(Schema):
    """What one node did during a test run."""

    node_id: str
    type: str
    status: Literal["ok", "error", "skipped"] = "ok"
    elapsed_ms: float = 0.0
    rows: list[dict[str, Any]] | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None

    @model_validator(mode="after")
    def _errored(self) -> NodeRun:
        if self.error and self.status == "ok":
            self.status = "error"
        return self


class LlmUsage(Schema):
    """What a test run's AI extraction spent, and whose key paid: the organization's own, or the server's."""

    paid_by: Payer
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class TestRun(Schema):
    ok: bool = False
    url: str | None = None
    final_url: str | None = None
    status: int | None = Field(default=None, description="The page's HTTP status.")
    render: Literal["http", "browser"] = "http"
    render_reason: str | None = Field(default=None, description="Why the page was fetched over HTTP or rendered.")
    notes: list[str] = Field(
        default_factory=list,
        description="What the browser handled on its own (dialogs, pop-ups, downloads) and the requests it refused.",
    )
    elapsed_ms: float = 0.0
    rows: list[dict[str, Any]] = Field(default_factory=list, description="The rows after every step.")
    nodes: list[NodeRun] = Field(default_factory=list)
    error: TestRunError | None = None
    fetcher: FetcherName = "builtin"
    llm_usage: LlmUsage | None = Field(
        default=None, description="The AI extraction's LLM calls, tokens and cost, and whose key paid; None if none."
    )


SecretName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.-]{1,100}$", description="What `fill` steps call it (`secret`).", examples=["password"]
    ),
]
SecretValue = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class BotSecretsUpdate(InputSchema):
    """Named secrets to set or replace; the bot's other secrets are kept."""

    secrets: dict[SecretName, SecretValue] = Field(min_length=1, max_length=50)


class BotSecretName(Schema):
    """A secret as people see it: its name, never its value."""

    name: str
    updated_at: datetime


class BotSecrets(Schema):
    items: list[BotSecretName]


class LearnedField(Schema):
    selector: str
    type: str
    attribute: str | None = None
    optional: bool = False


class LearnedTemplate(Schema):
    """Selectors for one kind of page, learned from the model's answer on `learned_from`."""

    item_selector: str | None = None
    learned_from: str = ""
    fields: dict[str, LearnedField]


class LearnedSelectors(Schema):
    """What one `llm_extract` node has learned: later pages it fits need no LLM call."""

    node_id: str
    templates: list[LearnedTemplate]
    updated_at: datetime


class LearnedSelectorsList(Schema):
    items: list[LearnedSelectors]
