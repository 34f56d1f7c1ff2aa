"""A real ScrapeFlow server on a socket, for Firecrawl's SDKs (and our Firecrawl fetcher) to call.

It commits like production, so it gets a migrated database of its own (per backend): rows it writes
must not show up in the other tests, which count rows inside their rolled-back transactions.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from scrapeflow.config import Settings
from scrapeflow.main import create_app
from tests.conftest import PostgresDatabases, make_settings, migrate, new_database_url


@dataclass(frozen=True)
class ScrapeFlowServer:
    base_url: str
    settings: Settings
    api_key: str
    """A `read` API key of the organization."""
    access_token: str
    """The organization's owner, signed in."""


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve the app (lifespan included) with uvicorn on a free port in a daemon thread; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="scrapeflow-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the ScrapeFlow server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def sign_up(base_url: str) -> tuple[str, str]:
    """A new user through the API: (access token, a read API key of their personal organization)."""
    email, password = f"firecrawl-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.post("/api/v1/auth/register", json={"email": email, "password": password}).raise_for_status()
        login = http.post("/api/v1/auth/login", json={"email": email, "password": password})
        token = login.raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        org_id = http.get("/api/v1/users/me", headers=headers).raise_for_status().json()["default_org_id"]
        created = http.post(
            f"/api/v1/orgs/{org_id}/api-keys", json={"name": "Firecrawl SDK", "scopes": ["read"]}, headers=headers
        )
        return token, created.raise_for_status().json()["key"]


@pytest.fixture(scope="session")
def scrapeflow_server(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> Iterator[ScrapeFlowServer]:
    """ScrapeFlow with FETCH_ALLOWLIST=127.0.0.1 (the test shop), on the backend of the current `settings`."""
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    tmp = tmp_path_factory.mktemp(f"firecrawl-{backend}")
    own = make_settings(tmp, new_database_url(backend, tmp, postgres_databases), fetch_allowlist="127.0.0.1")
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(own, monkeypatch)
    with serve_app(create_app(own)) as base_url:
        token, key = sign_up(base_url)
        yield ScrapeFlowServer(base_url, own, key, token)
