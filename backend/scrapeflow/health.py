"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from scrapeflow.config import Settings

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


async def _database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _broker(settings: Settings) -> None:
    """Redis when configured; in single-machine mode the embedded broker lives in the data folder."""
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
        try:
            await client.ping()
        finally:
            await client.aclose()
    elif not settings.data_dir.is_dir():
        raise RuntimeError(f"data folder {settings.data_dir} is missing")


@router.get("/health", summary="Liveness: the process answers")
async def health() -> Health:
    return Health()


@router.get(
    "/ready",
    summary="Readiness: the database and the broker are reachable",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unreachable."}},
)
async def ready(request: Request) -> Readiness | JSONResponse:
    checks: dict[str, str] = {}
    probes = {"database": _database(request.app.state.engine), "broker": _broker(request.app.state.settings)}
    for name, probe in probes.items():
        try:
            await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason is reported, not raised
            checks[name] = f"error: {type(exc).__name__}"
    if all(value == "ok" for value in checks.values()):
        return Readiness(status="ready", checks=checks)
    return JSONResponse(Readiness(status="unavailable", checks=checks).model_dump(), status_code=503)
