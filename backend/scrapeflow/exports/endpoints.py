"""HTTP endpoints for export destinations, deliveries, sending rows now, download links and row review."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from scrapeflow.auth.subject import BotsRead, BotsWrite, DestinationsManage
from scrapeflow.db import SessionDep, SessionsDep
from scrapeflow.executions.endpoints import DispatcherDep
from scrapeflow.exports import deliveries, destinations, links, review
from scrapeflow.exports.rows import StoredRows
from scrapeflow.exports.schemas import (
    Delivery,
    Destination,
    DestinationUpdate,
    EmailCreate,
    GoogleSheetsCreate,
    ReviewDecision,
    ReviewState,
    SendRequest,
    SlackCreate,
    TestResult,
    WebhookCreate,
    WebhookDestinationCreated,
)
from scrapeflow.exports.sinks.webhook import encode
from scrapeflow.kit.http import SecretBoxDep, SettingsDep
from scrapeflow.kit.pagination import Page, PageParamsDep
from scrapeflow.models import DestinationType

router = APIRouter(prefix="/exports", tags=["exports"])
# Creating, changing, deleting and testing destinations needs an admin (`destinations:manage`); for an existing
# destination the role is checked once it is found, so another organization's caller gets 404 either way.
execution_router = APIRouter(prefix="/executions", tags=["exports"])


@router.get("/destinations", summary="List export destinations")
async def list_destinations(subject: BotsRead, session: SessionDep, params: PageParamsDep) -> Page[Destination]:
    items, cursor = await destinations.list_destinations(session, subject, params)
    return Page(items=[Destination.model_validate(item) for item in items], next_cursor=cursor)


@router.post("/webhook", status_code=status.HTTP_201_CREATED, summary="Create a webhook destination")
async def create_webhook(
    body: WebhookCreate, subject: DestinationsManage, session: SessionDep, box: SecretBoxDep, settings: SettingsDep
) -> WebhookDestinationCreated:
    """The answer holds the signing secret (`whsec_…`) this once; keep it to verify `webhook-signature`."""
    destination, secret = await destinations.create(session, subject, DestinationType.webhook, body, box, settings)
    return WebhookDestinationCreated(
        **Destination.model_validate(destination).model_dump(), signing_secret=secret or ""
    )


@router.post("/slack", status_code=status.HTTP_201_CREATED, summary="Create a Slack destination")
async def create_slack(
    body: SlackCreate, subject: DestinationsManage, session: SessionDep, box: SecretBoxDep, settings: SettingsDep
) -> Destination:
    destination, _ = await destinations.create(session, subject, DestinationType.slack, body, box, settings)
    return Destination.model_validate(destination)


@router.post("/email", status_code=status.HTTP_201_CREATED, summary="Create an email destination")
async def create_email(
    body: EmailCreate, subject: DestinationsManage, session: SessionDep, box: SecretBoxDep, settings: SettingsDep
) -> Destination:
    """Needs SMTP on the server (`SMTP_HOST`); 422 otherwise."""
    destination, _ = await destinations.create(session, subject, DestinationType.email, body, box, settings)
    return Destination.model_validate(destination)


@router.post("/google-sheets", status_code=status.HTTP_201_CREATED, summary="Create a Google Sheets destination")
async def create_google_sheets(
    body: GoogleSheetsCreate, subject: DestinationsManage, session: SessionDep, box: SecretBoxDep, settings: SettingsDep
) -> Destination:
    destination, _ = await destinations.create(session, subject, DestinationType.google_sheets, body, box, settings)
    return Destination.model_validate(destination)


@router.put("/destinations/{destination_id}", summary="Change a destination")
async def update_destination(
    destination_id: uuid.UUID,
    body: DestinationUpdate,
    subject: BotsRead,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> Destination:
    destination = await destinations.update(session, subject, destination_id, body, box, settings)
    return Destination.model_validate(destination)


@router.delete("/destinations/{destination_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a destination")
async def delete_destination(destination_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> None:
    await destinations.delete(session, subject, destination_id)


@router.post("/destinations/{destination_id}/test", summary="Send a sample to a destination")
async def test_destination(
    destination_id: uuid.UUID,
    subject: BotsRead,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> TestResult:
    """Two sample rows of a made-up execution, sent now; the answer says how the receiver took them."""
    return await destinations.send_test(session, subject, destination_id, box, settings)


@router.get("/destinations/{destination_id}/deliveries", summary="A destination's delivery log")
async def destination_deliveries(
    destination_id: uuid.UUID, subject: BotsRead, session: SessionDep, params: PageParamsDep
) -> Page[Delivery]:
    items, cursor = await deliveries.for_destination(session, subject, destination_id, params)
    return Page(items=[Delivery.model_validate(item) for item in items], next_cursor=cursor)


@router.post("/{execution_id}/send", status_code=status.HTTP_202_ACCEPTED, summary="Send an execution's rows now")
async def send_execution(
    execution_id: uuid.UUID, body: SendRequest, subject: BotsWrite, session: SessionDep, dispatcher: DispatcherDep
) -> Delivery:
    delivery = await deliveries.send_now(session, subject, execution_id, body, dispatcher.deliver)
    return Delivery.model_validate(delivery)


@router.post(
    "/deliveries/{delivery_id}/redeliver", status_code=status.HTTP_202_ACCEPTED, summary="Send a delivery again"
)
async def redeliver(
    delivery_id: uuid.UUID, subject: BotsWrite, session: SessionDep, dispatcher: DispatcherDep
) -> Delivery:
    delivery = await deliveries.redeliver(session, subject, delivery_id, dispatcher.deliver)
    return Delivery.model_validate(delivery)


@router.get(
    "/downloads/{token}",
    summary="Download a delivery's rows (signed link)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def download(token: str, session: SessionDep, sessions: SessionsDep, settings: SettingsDep) -> StreamingResponse:
    """The link a webhook gets instead of rows for large results: no sign-in, valid until it expires
    (`EXPORT_LINK_TTL_SECONDS`). One JSON row per line."""
    delivery = await deliveries.for_download(session, links.delivery_of(settings, token))
    assert delivery.execution_id is not None
    rows = StoredRows(sessions, delivery.org_id, delivery.execution_id, delivery.rows)

    async def lines() -> AsyncIterator[bytes]:
        async for batch in rows.batches(settings.export_batch_rows):
            yield b"".join(encode(row) + b"\n" for row in batch)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@execution_router.get("/{execution_id}/deliveries", summary="An execution's deliveries")
async def execution_deliveries(
    execution_id: uuid.UUID, subject: BotsRead, session: SessionDep, params: PageParamsDep
) -> Page[Delivery]:
    items, cursor = await deliveries.for_execution(session, subject, execution_id, params)
    return Page(items=[Delivery.model_validate(item) for item in items], next_cursor=cursor)


@execution_router.get("/{execution_id}/review", summary="An execution's review: rows pending, approved, rejected")
async def review_state(execution_id: uuid.UUID, subject: BotsRead, session: SessionDep) -> ReviewState:
    return await review.get_state(session, subject, execution_id)


@execution_router.post("/{execution_id}/review", summary="Approve or reject rows held for review")
async def review_rows(
    execution_id: uuid.UUID, body: ReviewDecision, subject: BotsWrite, session: SessionDep, dispatcher: DispatcherDep
) -> ReviewState:
    """`row_ids` picks rows (see `GET /executions/{id}/result`, `review_status`); without it every pending row.
    Once none is pending, the approved rows are exported."""
    return await review.decide(session, subject, execution_id, body, dispatcher.resume_export)
