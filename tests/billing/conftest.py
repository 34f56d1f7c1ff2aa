"""Fixtures for billing: the app with billing on, and workflows that use paid features."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Organization
from tests.conftest import build_app
from tests.pipeline.conftest import api, pipeline_settings, processes  # noqa: F401 (fixtures for real workers)

START_URL = "https://shop.example.com/products"


def workflow(*extra: dict[str, Any], urls: list[str] | None = None) -> dict[str, Any]:
    """Start, then the given nodes in a chain."""
    nodes = [{"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"urls": urls or [START_URL]}}]
    nodes += [{"position": {"x": 0, "y": 100 * (n + 1)}, **node} for n, node in enumerate(extra)]
    pairs = enumerate(itertools.pairwise(nodes))
    edges = [{"id": f"e{n}", "source": a["id"], "target": b["id"]} for n, (a, b) in pairs]
    return {"nodes": nodes, "edges": edges}


LLM_STEP = {"id": "ai", "type": "llm_extract", "data": {"fields": [{"name": "title", "type": "string"}]}}


@pytest.fixture
def billed(settings: Settings) -> Settings:
    return settings.model_copy(update={"billing_enabled": True})


@pytest.fixture
async def billed_app(billed: Settings, session: AsyncSession) -> AsyncIterator[FastAPI]:
    async with build_app(billed, session) as application:
        yield application


@pytest.fixture
async def billed_client(billed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=billed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        yield client


async def set_plan(session: AsyncSession, org_id: object, plan: str) -> None:
    await session.execute(update(Organization).where(Organization.id == org_id).values(plan=plan))


async def new_bot(client: httpx.AsyncClient, headers: dict[str, str], name: str = "b") -> httpx.Response:
    return await client.post("/api/v1/bots", json={"name": name, "start_url": START_URL}, headers=headers)
