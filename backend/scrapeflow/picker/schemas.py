"""Request and answer bodies of the in-app picker."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from scrapeflow.bots.schemas import StartUrl
from scrapeflow.kit.schemas import InputSchema, Schema


class PickerPageRequest(InputSchema):
    url: StartUrl
    bot_id: uuid.UUID | None = Field(
        default=None, description="Fetch as this bot does (its headers, cookies, proxies and rendering)."
    )
    render: Literal["auto", "http", "browser"] = Field(
        default="auto", description="auto: the bot's own choice (plain HTTP for a new bot)."
    )


class PickerPage(Schema):
    url: str
    final_url: str
    status: int | None
    title: str | None
    render: Literal["http", "browser"]
    html: str = Field(description="The page made inert: show it in an iframe with `sandbox` and no scripts.")
