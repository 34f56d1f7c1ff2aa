"""HTTP endpoints of the in-app picker: a page made inert, and the resources it loads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from scrapeflow.auth.subject import BotsWrite
from scrapeflow.billing.endpoints import RunLimited
from scrapeflow.bots.endpoints import BrowserPoolDep
from scrapeflow.db import SessionDep
from scrapeflow.engine.errors import EngineError
from scrapeflow.kit.errors import NotFound
from scrapeflow.kit.http import SecretBoxDep, SettingsDep
from scrapeflow.picker import links, service
from scrapeflow.picker.schemas import PickerPage, PickerPageRequest

router = APIRouter(prefix="/picker", tags=["picker"])

# Served on the app's own origin: whatever the site sent may not run scripts or reach anything there.
RESOURCE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@router.post("/pages", summary="Open a page in the in-app picker", dependencies=[RunLimited])
async def open_page(
    body: PickerPageRequest,
    subject: BotsWrite,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    browser: BrowserPoolDep,
) -> PickerPage:
    """Fetches the page as the bot would (or plainly, for a new bot) and returns it inert: scripts disabled,
    handlers and frames removed, resources loaded through signed links to `GET /picker/resource`."""
    return await service.load_page(session, subject, body, settings=settings, box=box, browser=browser)


@router.get("/resource", summary="A resource of a page open in the picker (signed link)")
async def resource(
    settings: SettingsDep,
    url: Annotated[str, Query(max_length=4096)],
    expires: int,
    signature: Annotated[str, Query(max_length=128)],
) -> Response:
    links.verify(settings, url, expires, signature)
    try:
        body, content_type = await service.load_resource(settings, url)
    except EngineError:
        raise NotFound("The site did not give this resource.") from None
    return Response(body, media_type=content_type, headers=RESOURCE_HEADERS)
