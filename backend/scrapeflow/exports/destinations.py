"""Export destinations: create (credentials sealed), list, change, delete, and send a sample to one."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.permissions import Permission
from scrapeflow.auth.subject import AuthSubject, check, scoped
from scrapeflow.config import Settings
from scrapeflow.exports import signing
from scrapeflow.exports.delivery import ship, unseal
from scrapeflow.exports.outbound import DeliveryError, outbound
from scrapeflow.exports.rows import ListedRows, as_row
from scrapeflow.exports.schemas import (
    CREATE_SCHEMAS,
    DestinationUpdate,
    EmailCreate,
    GoogleSheetsCreate,
    SlackCreate,
    TestResult,
    WebhookCreate,
)
from scrapeflow.exports.sheets import SheetsError, parse_spreadsheet_id, validate_credentials
from scrapeflow.exports.sheets.access import account_email
from scrapeflow.exports.sinks import Shipment
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import NotFound, Unprocessable
from scrapeflow.kit.pagination import PageParams, paginate
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ChangeStatus, DestinationType, ExportDestination
from scrapeflow.orgs import audit
from scrapeflow.orgs.llm import check_reachable

Body = WebhookCreate | SlackCreate | EmailCreate | GoogleSheetsCreate


def _split(body: Body, settings: Settings, *, vet: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public config, secrets) of a destination; a URL the server will call (`vet`: a new one) must not reach
    inside its network. Sends pass the SSRF guard again at connect time, whatever the name resolves to then."""
    if isinstance(body, WebhookCreate):
        if vet:
            check_reachable(body.url, settings)
        return {"url": body.url, "events": body.events}, {}
    if isinstance(body, SlackCreate):
        if vet:
            check_reachable(body.webhook_url, settings)
        return {"host": urlsplit(body.webhook_url).hostname, "events": body.events}, {"url": body.webhook_url}
    if isinstance(body, EmailCreate):
        if not settings.smtp_host:
            raise Unprocessable("Email is not configured on this server (SMTP_HOST).", code="email_unavailable")
        return {"to": list(body.to), "events": body.events}, {}
    try:
        sheet = parse_spreadsheet_id(body.spreadsheet)
        validate_credentials(body.credentials, api_base_url=settings.google_sheets_api_url or None)
    except SheetsError as exc:
        raise Unprocessable(exc.message, code=exc.code.lower()) from None
    public = {
        "spreadsheet_id": sheet,
        "worksheet": body.worksheet,
        "mode": body.mode,
        "key_column": body.key_column,
        "auth": "service_account" if body.credentials.get("type") == "service_account" else "oauth",
        "account": account_email(body.credentials),
        "events": body.events,
    }
    return public, {"credentials": body.credentials}


def _seal(box: SecretBox, secrets: dict[str, Any]) -> str | None:
    return box.encrypt(json.dumps(secrets)) if secrets else None


async def create(
    session: AsyncSession, subject: AuthSubject, kind: DestinationType, body: Body, box: SecretBox, settings: Settings
) -> tuple[ExportDestination, str | None]:
    """The new destination and, for a webhook, its signing secret (returned this once)."""
    config, secrets = _split(body, settings)
    signing_secret = signing.new_secret() if kind is DestinationType.webhook else None
    if signing_secret is not None:
        secrets["signing_secret"] = signing_secret
    destination = ExportDestination(
        org_id=subject.org_id, type=kind, name=body.name, config=config, secret_encrypted=_seal(box, secrets)
    )
    session.add(destination)
    await session.flush()
    audit.record_by(
        session,
        subject,
        "destination.created",
        target_type="destination",
        target_id=destination.id,
        data={"type": kind.value, "name": body.name},
    )
    return destination, signing_secret


async def get(session: AsyncSession, subject: AuthSubject, destination_id: uuid.UUID) -> ExportDestination:
    destination = await session.scalar(
        scoped(select(ExportDestination), subject, ExportDestination).where(ExportDestination.id == destination_id)
    )
    if destination is None:
        raise NotFound("Destination not found.")
    return destination


async def get_to_manage(session: AsyncSession, subject: AuthSubject, destination_id: uuid.UUID) -> ExportDestination:
    """A destination the subject may change: found first (404 for other organizations), then the role."""
    destination = await get(session, subject, destination_id)
    check(subject, Permission.destinations_manage)
    return destination


async def list_destinations(
    session: AsyncSession, subject: AuthSubject, params: PageParams
) -> tuple[list[ExportDestination], str | None]:
    statement = scoped(select(ExportDestination), subject, ExportDestination)
    return await paginate(session, statement, params, sort=ExportDestination.created_at, tiebreak=ExportDestination.id)


def _current(destination: ExportDestination, secrets: dict[str, Any]) -> dict[str, Any]:
    """The destination as its create body, to validate a change against."""
    config, name = destination.config, destination.name
    match destination.type:
        case DestinationType.webhook:
            return {"name": name, "url": config["url"], "events": config["events"]}
        case DestinationType.slack:
            return {"name": name, "webhook_url": secrets["url"], "events": config["events"]}
        case DestinationType.email:
            return {"name": name, "to": config["to"], "events": config["events"]}
    return {
        "name": name,
        "spreadsheet": config["spreadsheet_id"],
        "worksheet": config["worksheet"],
        "mode": config["mode"],
        "key_column": config["key_column"],
        "credentials": secrets["credentials"],
        "events": config["events"],
    }


async def update(
    session: AsyncSession,
    subject: AuthSubject,
    destination_id: uuid.UUID,
    body: DestinationUpdate,
    box: SecretBox,
    settings: Settings,
) -> ExportDestination:
    destination = await get_to_manage(session, subject, destination_id)
    secrets = unseal(box, destination)
    changes = body.model_dump(exclude_unset=True, exclude={"is_active"})
    try:
        merged = CREATE_SCHEMAS[destination.type].model_validate({**_current(destination, secrets), **changes})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Unprocessable(f"{where}: {first['msg']}" if where else first["msg"], code="invalid_destination") from None
    assert isinstance(merged, Body)
    config, new_secrets = _split(merged, settings, vet=bool({"url", "webhook_url"} & changes.keys()))
    if "signing_secret" in secrets:
        new_secrets["signing_secret"] = secrets["signing_secret"]
    destination.name, destination.config = merged.name, config
    destination.secret_encrypted = _seal(box, new_secrets)
    if body.is_active is not None:
        destination.is_active = body.is_active
        if body.is_active:
            destination.consecutive_failures, destination.disabled_at, destination.disabled_reason = 0, None, None
    destination.updated_at = utcnow()
    audit.record_by(
        session,
        subject,
        "destination.updated",
        target_type="destination",
        target_id=destination.id,
        data={"fields": sorted(body.model_fields_set)},
    )
    await session.flush()
    return destination


async def delete(session: AsyncSession, subject: AuthSubject, destination_id: uuid.UUID) -> None:
    destination = await get_to_manage(session, subject, destination_id)
    audit.record_by(
        session,
        subject,
        "destination.deleted",
        target_type="destination",
        target_id=destination.id,
        data={"name": destination.name},
    )
    await session.delete(destination)
    await session.flush()


SAMPLE_ROWS = [
    as_row(
        "sample-1",
        ChangeStatus.new,
        {"title": "Sample product", "price": 19.99, "url": "https://example.com/p/1"},
        None,
    ),
    as_row(
        "sample-2",
        ChangeStatus.changed,
        {"title": "Another product", "price": 5.0, "url": "https://example.com/p/2"},
        {"price": {"from": 6.0, "to": 5.0}},
    ),
]


async def send_test(
    session: AsyncSession, subject: AuthSubject, destination_id: uuid.UUID, box: SecretBox, settings: Settings
) -> TestResult:
    """Send a sample (two rows, a made-up execution) now and report how the receiver answered."""
    destination = await get_to_manage(session, subject, destination_id)
    now = utcnow().isoformat()
    summary = {
        "id": str(uuid.UUID(int=0)),
        "bot_id": str(uuid.UUID(int=0)),
        "bot_name": "Sample bot",
        "status": "succeeded",
        "rows_count": 2,
        "new": 1,
        "changed": 1,
        "pages_done": 2,
        "pages_failed": 0,
        "error_code": None,
        "error_message": None,
        "started_at": now,
        "finished_at": now,
        "url": f"{settings.web_url.rstrip('/')}/executions",
        "test": True,
    }
    async with outbound(settings) as out:
        shipment = Shipment(
            message_id=f"msg_test_{uuid.uuid4().hex}",
            event="execution.succeeded",
            summary=summary,
            rows=ListedRows(SAMPLE_ROWS),
            config=destination.config,
            secrets=unseal(box, destination),
            settings=settings,
            outbound=out,
        )
        try:
            answer = await ship(shipment, destination.type)
        except DeliveryError as exc:
            return TestResult(
                ok=False, status_code=exc.status_code, duration_ms=None, response_excerpt=exc.excerpt, error=exc.message
            )
    return TestResult(
        ok=True,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
        response_excerpt=answer.excerpt,
        error=None,
    )
