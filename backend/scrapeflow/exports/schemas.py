"""Request and response bodies of export destinations, deliveries and row review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints, model_validator

from scrapeflow.kit.schemas import InputSchema, Name, Schema, ensure_storable
from scrapeflow.models import DeliveryStatus, DestinationType, ExecutionStatus

Event = Literal["execution.succeeded", "execution.failed", "rows.changed"]
Events = Annotated[
    list[Event],
    Field(
        min_length=1,
        max_length=3,
        description="What to send: `execution.succeeded` (rows of every finished run), `execution.failed`, "
        "and `rows.changed` (only when a run found new or changed rows; for monitoring, without "
        "`execution.succeeded`).",
    ),
]


def _runs() -> list[Event]:
    return ["execution.succeeded", "execution.failed"]


def _successes() -> list[Event]:
    return ["execution.succeeded"]


RowsOption = Literal["all", "new", "changed"]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048), AfterValidator(ensure_storable)]


class WebhookCreate(InputSchema):
    name: Name
    url: Url = Field(description="Where to POST (http or https; redirects are not followed).")
    events: Events = Field(default_factory=_runs)


class SlackCreate(InputSchema):
    name: Name
    webhook_url: Url = Field(description="A Slack incoming-webhook URL (stored encrypted, never shown again).")
    events: Events = Field(default_factory=_runs)


class EmailCreate(InputSchema):
    name: Name
    to: list[EmailStr] = Field(min_length=1, max_length=20)
    events: Events = Field(default_factory=_runs)


class GoogleSheetsCreate(InputSchema):
    name: Name
    spreadsheet: Url = Field(description="The spreadsheet's URL or id.")
    worksheet: Name = "Sheet1"
    mode: Literal["append", "replace", "upsert"] = "append"
    key_column: Name | None = Field(None, description="The field that identifies a row (upsert needs one).")
    credentials: dict[str, Any] = Field(
        description="Service-account JSON, or OAuth credentials (client_id, client_secret, refresh_token); "
        "stored encrypted, never shown again. Share the spreadsheet with the service account's email."
    )
    events: Events = Field(default_factory=_successes)

    @model_validator(mode="after")
    def _check(self) -> GoogleSheetsCreate:
        ensure_storable(self.credentials)
        if self.mode == "upsert" and not self.key_column:
            raise ValueError("mode upsert needs a key_column")
        return self


CREATE_SCHEMAS: dict[DestinationType, type[InputSchema]] = {
    DestinationType.webhook: WebhookCreate,
    DestinationType.slack: SlackCreate,
    DestinationType.email: EmailCreate,
    DestinationType.google_sheets: GoogleSheetsCreate,
}


class DestinationUpdate(InputSchema):
    """Fields left out keep their value; fields of another type of destination are refused (422)."""

    name: Name | None = None
    is_active: bool | None = Field(None, description="true re-enables a disabled destination.")
    events: Events | None = None
    url: Url | None = None
    webhook_url: Url | None = None
    to: list[EmailStr] | None = Field(None, min_length=1, max_length=20)
    spreadsheet: str | None = None
    worksheet: Name | None = None
    mode: Literal["append", "replace", "upsert"] | None = None
    key_column: Name | None = None
    credentials: dict[str, Any] | None = None


class Destination(Schema):
    id: uuid.UUID
    type: DestinationType
    name: str
    config: dict[str, Any] = Field(description="Settings without credentials (those are never returned).")
    is_active: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookDestinationCreated(Destination):
    signing_secret: str = Field(
        description="`whsec_…`: verify `webhook-signature` with it. Shown only now; it cannot be read again."
    )


class Delivery(Schema):
    id: uuid.UUID
    destination_id: uuid.UUID
    execution_id: uuid.UUID | None
    event: str
    rows: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    response_excerpt: str | None
    duration_ms: int | None
    batches_sent: int
    rows_sent: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (while retrying).")
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SendRequest(InputSchema):
    destination_id: uuid.UUID
    rows: RowsOption = "all"


class TestResult(Schema):
    ok: bool
    status_code: int | None
    duration_ms: int | None
    response_excerpt: str | None
    error: str | None


class ReviewDecision(InputSchema):
    decision: Literal["approve", "reject"]
    row_ids: list[uuid.UUID] | None = Field(
        None, max_length=1000, description="The rows to decide on; left out: every row still pending."
    )


class ReviewState(Schema):
    execution_id: uuid.UUID
    status: ExecutionStatus
    pending: int
    approved: int
    rejected: int
