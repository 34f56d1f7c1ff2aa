"""`GET /metrics`: Prometheus scrapes it; open unless `METRICS_TOKEN` is set."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from prometheus_client import CONTENT_TYPE_LATEST

from scrapeflow.db import SessionDep
from scrapeflow.kit.errors import Unauthorized
from scrapeflow.kit.http import SettingsDep
from scrapeflow.observability.service import render_metrics

router = APIRouter(tags=["health"])


async def require_metrics_token(settings: SettingsDep, authorization: Annotated[str, Header()] = "") -> None:
    if not settings.metrics_token:
        return
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        raise Unauthorized(
            "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.", code="not_authenticated"
        )


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_token)])
async def metrics(session: SessionDep, settings: SettingsDep) -> Response:
    return Response(await render_metrics(session, settings), media_type=CONTENT_TYPE_LATEST)
