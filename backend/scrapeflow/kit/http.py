"""Facts about the HTTP client making a request, for audit rows and per-IP limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from scrapeflow.config import Settings
from scrapeflow.kit.crypto import SecretBox


@dataclass(frozen=True)
class ClientInfo:
    ip: str
    user_agent: str


def client_info(request: Request) -> ClientInfo:
    return ClientInfo(
        ip=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent", "")[:255],
    )


async def get_client_info(request: Request) -> ClientInfo:
    # async: FastAPI runs a plain `def` dependency in the thread pool, a hand-off on every request.
    return client_info(request)


ClientDep = Annotated[ClientInfo, Depends(get_client_info)]


async def get_app_settings(request: Request) -> Settings:  # async: see get_client_info
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]
