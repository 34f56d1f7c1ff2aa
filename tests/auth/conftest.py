"""Fixtures for the OAuth tests: a local provider and an app whose settings point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from tests.auth.oauth_server import OAuthServer, serve_oauth
from tests.conftest import build_app

WEB_URL = "http://localhost:3000"


@pytest.fixture
def oauth_server() -> Iterator[OAuthServer]:
    with serve_oauth() as server:
        yield server


@pytest.fixture
def oauth_settings(settings: Settings, oauth_server: OAuthServer) -> Settings:
    url = oauth_server.url
    return settings.model_copy(
        update={
            "web_url": WEB_URL,
            "google_client_id": oauth_server.google.client_id,
            "google_client_secret": oauth_server.google.client_secret,
            "google_authorize_url": f"{url}/google/authorize",
            "google_token_url": f"{url}/google/token",
            "google_userinfo_url": f"{url}/google/userinfo",
            "github_client_id": oauth_server.github.client_id,
            "github_client_secret": oauth_server.github.client_secret,
            "github_authorize_url": f"{url}/github/authorize",
            "github_token_url": f"{url}/github/token",
            "github_api_url": f"{url}/github/api",
        }
    )


@asynccontextmanager
async def client_for(settings: Settings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the real app built with these settings, for tests that need a variant of them."""
    async with build_app(settings, session) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            yield client


@pytest.fixture
async def oauth_client(oauth_settings: Settings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(oauth_settings, session) as client:
        yield client
