"""Application-wide behaviour: probes, the one error body, request ids, bad input, logging."""

from __future__ import annotations

import inspect
import json
import logging
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Environment, Settings
from scrapeflow.main import create_app
from scrapeflow.models import Bot, User
from scrapeflow.observability.logging import configure_logging
from tests.factories import START_URL, make_user


def assert_error_body(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return dict(body["error"])


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def test_ready_is_503_when_the_broker_is_unreachable(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"].startswith("error")


async def test_ready_with_a_reachable_redis(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            assert (await client.get("/ready")).status_code == 200


async def test_request_id_is_accepted_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert hostile.headers["x-request-id"] != "x" * 500


async def test_every_error_has_the_same_body(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    actor = await make_user(session, settings)
    assert_error_body(await client.get("/nope"), 404, "not_found")
    assert_error_body(await client.delete("/health"), 405, "method_not_allowed")
    assert_error_body(await client.get("/api/v1/bots"), 401, "not_authenticated")
    assert_error_body(await client.get(f"/api/v1/bots/{uuid.uuid4()}", headers=actor.headers), 404, "not_found")
    assert_error_body(await client.get("/api/v1/bots/not-a-uuid", headers=actor.headers), 422, "validation_error")


BAD_BODIES: list[tuple[str, bytes, int, str]] = [
    ("malformed JSON", b'{"name": ', 400, "invalid_json"),
    ("not an object", b"[1, 2, 3]", 422, "validation_error"),
    ("wrong type", b'{"name": 42}', 422, "validation_error"),
    ("unknown field", b'{"name": "ok", "owner": "me"}', 422, "validation_error"),
    ("empty name", b'{"name": "   "}', 422, "validation_error"),
    ("NUL byte", b'{"name": "a\\u0000b"}', 422, "validation_error"),
    ("lone surrogate", b'{"name": "a\\ud800b"}', 422, "validation_error"),
    ("control char in workflow key", b'{"name": "ok", "workflow_json": {"\\u0007": 1}}', 422, "validation_error"),
    ("invalid workflow", b'{"name": "ok", "workflow_json": {"nodes": [], "edges": []}}', 422, "invalid_workflow"),
    ("neither workflow nor start URL", b'{"name": "ok"}', 422, "validation_error"),
    ("nodes not a list", b'{"name": "ok", "workflow_json": {"nodes": {}}}', 422, "validation_error"),
    ("invalid UTF-8", b'{"name": "\xff\xfe"}', 400, "bad_request"),
    ("name too long", json.dumps({"name": "x" * 201}).encode(), 422, "validation_error"),
]


@pytest.mark.parametrize(("case", "body", "status", "code"), BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
async def test_bad_input_is_a_4xx_with_no_write(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, case: str, body: bytes, status: int, code: str
) -> None:
    actor = await make_user(session, settings)
    response = await client.post(
        "/api/v1/bots", content=body, headers={**actor.headers, "Content-Type": "application/json"}
    )
    assert_error_body(response, status, code)
    assert await session.scalar(select(func.count()).select_from(Bot)) == 0


async def test_unicode_that_is_valid_is_kept(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    actor = await make_user(session, settings)
    name = "Prix 💶 — 価格 e\u0301"  # the decomposed é is stored composed (NFC)
    created = await client.post("/api/v1/bots", json={"name": name, "start_url": START_URL}, headers=actor.headers)
    assert created.status_code == 201
    assert created.json()["name"] == "Prix 💶 — 価格 é"


async def test_bodies_over_the_limit_get_413(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    actor = await make_user(session, settings)
    huge = json.dumps({"name": "big", "workflow_json": {"nodes": [], "blob": "x" * (settings.max_body_bytes + 1)}})
    declared = await client.post(
        "/api/v1/bots", content=huge, headers={**actor.headers, "Content-Type": "application/json"}
    )
    assert_error_body(declared, 413, "payload_too_large")

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536].encode()

    streamed = await client.post(
        "/api/v1/bots", content=chunks(), headers={**actor.headers, "Content-Type": "application/json"}
    )
    assert_error_body(streamed, 413, "payload_too_large")
    assert await session.scalar(select(func.count()).select_from(Bot)) == 0


async def test_failed_request_leaves_no_partial_write(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """Registering twice fails on the second call without a second user or organization."""
    body = {"email": "once@example.com", "password": "long enough password"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    duplicate = await client.post("/api/v1/auth/register", json={**body, "email": "ONCE@example.com"})
    assert_error_body(duplicate, 409, "email_taken")
    assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_openapi_documents_security_and_operation_ids(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from `POST /api/v1/auth/login`, or an organization API key (`sf_…`).",
    }
    operation = spec["paths"]["/api/v1/bots"]["get"]
    assert operation["operationId"] == "bots:list_bots"
    assert operation["security"] == [{"Bearer": []}]
    assert any(p["name"] == "X-Org-Id" for p in operation["parameters"])
    assert "examples" in str(spec["components"]["schemas"]["UserRegister"])
    assert (await client.get("/docs")).status_code == 200


def test_logs_are_json_lines_in_production_with_the_request_id(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    production = settings.model_copy(update={"environment": Environment.production})
    configure_logging(production)
    try:
        import structlog

        structlog.contextvars.bind_contextvars(request_id="req-42")
        structlog.get_logger("scrapeflow.test").info("hello", bots=3)
        logging.getLogger("uvicorn.error").warning("from the standard library")
        structlog.contextvars.clear_contextvars()
    finally:
        configure_logging(settings)
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert lines[0]["event"] == "hello"
    assert lines[0]["request_id"] == "req-42"
    assert lines[0]["bots"] == 3
    assert lines[0]["level"] == "info"
    assert lines[1]["event"] == "from the standard library"


def test_no_dependency_or_endpoint_runs_in_the_thread_pool(settings: Settings) -> None:
    """FastAPI runs a plain `def` dependency in the thread pool: a hand-off (and a queue) on every request."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute, iter_route_contexts

    def sync_calls(dependant: Dependant) -> list[str]:
        found = []
        call = dependant.call
        if call is not None and not inspect.isclass(call):
            target = getattr(call, "__call__", call) if not inspect.isroutine(call) else call  # noqa: B004
            if not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
                found.append(getattr(call, "__qualname__", repr(call)))
        for sub in dependant.dependencies:
            found += sync_calls(sub)
        return found

    app = create_app(settings)
    routes = [context for context in iter_route_contexts(app.routes) if isinstance(context.original_route, APIRoute)]
    assert len(routes) >= 40
    offenders = {
        f"{sorted(context.methods or ())} {context.path}: {name}"
        for context in routes
        for name in sync_calls(context.original_route.dependant)  # type: ignore[union-attr]
    }
    assert not offenders, offenders
