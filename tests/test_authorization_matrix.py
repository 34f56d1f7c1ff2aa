"""The authorization matrix: every route the app registers, the level it needs, and how each caller fares.

Levels: public (anyone), authenticated (a user or an API key), user (a person, never an API key), and the
roles viewer < editor < admin < owner; a `read` key acts as a viewer, a `write` key as an editor. A route
missing from MATRIX fails the suite. Each call runs in a fresh organization with fresh target objects, so
destructive calls (delete the organization, leave it, delete your account) never affect the next caller.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.passwords import hash_password
from scrapeflow.auth.permissions import SCOPE_ROLES, ApiKeyScope
from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import secrets as bot_secrets
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.schemas import BotCreate
from scrapeflow.config import Settings
from scrapeflow.exports import links as export_links
from scrapeflow.exports import planning as export_planning
from scrapeflow.exports import signing
from scrapeflow.kit.crypto import SecretBox, new_token, token_hash
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.time import utcnow
from scrapeflow.models import (
    DeliveryStatus,
    DestinationType,
    Execution,
    ExecutionStatus,
    ExecutionTrigger,
    ExportDestination,
    Organization,
    Page,
    PageStatus,
    RefreshToken,
    Role,
    User,
)
from scrapeflow.orgs import service as orgs_service
from scrapeflow.schedules import service as schedules_service
from scrapeflow.schedules.schemas import ScheduleCreate
from tests.factories import Actor, add_member, make_user

Level = Literal["public", "authenticated", "user", "viewer", "editor", "admin", "owner"]
PASSWORD = "correct horse battery"
START_URL = "https://shop.example.com/products"
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="authorization-matrix")


@dataclass(frozen=True)
class Kind:
    """A kind of caller: anonymous, a member of org A with a role, or an API key of org A with a scope."""

    name: str
    role: Role | None = None
    scope: ApiKeyScope | None = None

    @property
    def rank(self) -> int:
        role = self.role or (SCOPE_ROLES[self.scope] if self.scope else None)
        return role.rank if role else -1


ANONYMOUS = Kind("anonymous")
CALLERS = [
    ANONYMOUS,
    *(Kind(role.value, role=role) for role in Role),
    Kind("read key", scope=ApiKeyScope.read),
    Kind("write key", scope=ApiKeyScope.write),
]


@dataclass
class World:
    """A fresh org A (founded by its owner) and, unless anonymous, the caller inside it."""

    session: AsyncSession
    settings: Settings
    org: Organization
    founder: Actor
    headers: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    made: dict[str, str] = field(default_factory=dict)
    """The path's objects of the current call (a body may refer to them)."""

    def subject(self, org_id: uuid.UUID | None = None) -> AuthSubject:
        return AuthSubject(org_id or self.org.id, Role.owner, self.founder.user.id, None, CLIENT)


@dataclass
class People:
    """The users a test needs: org A's founder and one person per role. Orgs and keys are made per call."""

    session: AsyncSession
    settings: Settings
    founder: Actor
    members: dict[Role, Actor]

    @classmethod
    async def meet(cls, session: AsyncSession, settings: Settings) -> People:
        founder = await make_user(session, settings, name="Founder")
        members = {role: await make_user(session, settings, name=role.value) for role in Role}
        return cls(session, settings, founder, members)

    async def world(self, kind: Kind) -> World:
        org, _ = await orgs_service.create_organization(self.session, self.founder.user, "Org A")
        world = World(self.session, self.settings, org, self.founder)
        if kind.role is not None:
            member = self.members[kind.role]
            await add_member(self.session, org.id, member.user, kind.role)
            world.headers, world.user = {**member.headers, "X-Org-Id": str(org.id)}, member.user
        elif kind.scope is not None:
            _, key = await orgs_service.create_api_key(self.session, world.subject(), "caller", [kind.scope])
            world.headers = {"Authorization": f"Bearer {key}"}
        return world


def unique_email(who: str = "someone") -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


# Path parameters: each name stands for one kind of object, created in org A for every call.
Maker = Callable[[World], Awaitable[str]]


async def new_bot(w: World) -> str:
    """A bot with a secret named `password` (for the route that deletes one)."""
    box = SecretBox(w.settings.jwt_secret)
    bot = await bots_service.create(w.session, w.subject(), BotCreate(name="Target bot", start_url=START_URL), box)
    await bot_secrets.put_secrets(w.session, w.subject(), bot.id, {"password": "hunter2"}, box)
    return str(bot.id)


async def new_schedule(w: World) -> str:
    bot_id = uuid.UUID(await new_bot(w))
    body = ScheduleCreate(bot_id=bot_id, cron_expression="0 9 * * 1-5", timezone="Europe/Berlin")
    schedule = await schedules_service.create(w.session, w.subject(), body, min_interval_seconds=60, now=utcnow())
    return str(schedule.id)


async def new_member(w: World) -> str:
    member = await make_user(w.session, w.settings)
    await add_member(w.session, w.org.id, member.user, Role.viewer)
    return str(member.user.id)


async def new_invitation(w: World) -> str:
    invitation, _ = await orgs_service.invite(w.session, w.subject(), unique_email(), Role.viewer, valid_days=7)
    return str(invitation.id)


async def new_api_key(w: World) -> str:
    api_key, _ = await orgs_service.create_api_key(w.session, w.subject(), "target", [ApiKeyScope.read])
    return str(api_key.id)


async def finished_execution(w: World, bot_id: str | None = None) -> str:
    """A finished execution of a bot of org A: one page done (with a snapshot), one failed for good."""
    bot = uuid.UUID(bot_id or await new_bot(w))
    execution = Execution(
        org_id=w.org.id,
        bot_id=bot,
        bot_version=1,
        trigger=ExecutionTrigger.manual,
        status=ExecutionStatus.partially_succeeded,
        pages_done=1,
        pages_failed=1,
        finished_at=utcnow(),
    )
    w.session.add(execution)
    await w.session.flush()
    for n, status in enumerate((PageStatus.done, PageStatus.failed)):
        w.session.add(
            Page(
                org_id=w.org.id,
                execution_id=execution.id,
                bot_id=bot,
                url=f"{START_URL}?page={n}",
                url_hash=f"{n:064d}",
                status=status,
                snapshot_key=f"{w.org.id}/{execution.id}/{n}.html" if status is PageStatus.done else None,
            )
        )
    await w.session.flush()
    return str(execution.id)


async def new_destination(w: World) -> str:
    """A webhook destination of org A aimed at a loopback address (a test send is refused by the guard)."""
    box = SecretBox(w.settings.jwt_secret)
    destination = ExportDestination(
        org_id=w.org.id,
        type=DestinationType.webhook,
        name="Target destination",
        config={"url": LOOPBACK, "events": ["execution.succeeded"]},
        secret_encrypted=box.encrypt(json.dumps({"signing_secret": signing.new_secret()})),
    )
    w.session.add(destination)
    await w.session.flush()
    return str(destination.id)


async def new_delivery(w: World) -> str:
    execution = await w.session.get_one(Execution, uuid.UUID(await finished_execution(w)))
    destination = await w.session.get_one(ExportDestination, uuid.UUID(await new_destination(w)))
    delivery = await export_planning.queue(w.session, execution, destination, "execution.succeeded", "all", utcnow())
    delivery.status = DeliveryStatus.failed
    await w.session.flush()
    return str(delivery.id)


async def download_token(w: World) -> str:
    return export_links.token(w.settings, uuid.UUID(await new_delivery(w)))


async def send_body(w: World) -> dict[str, Any]:
    return {"destination_id": await new_destination(w)}


async def reextract_body(w: World) -> dict[str, Any]:
    return {"execution_id": await finished_execution(w, w.made["bot_id"])}


def constant(value: str) -> Maker:
    async def make(_: World) -> str:
        return value

    return make


async def org_a(w: World) -> str:
    return str(w.org.id)


OBJECTS: dict[str, Maker] = {
    "org_id": org_a,
    "bot_id": new_bot,
    "schedule_id": new_schedule,
    "user_id": new_member,
    "invitation_id": new_invitation,
    "key_id": new_api_key,
    "execution_id": finished_execution,
    "destination_id": new_destination,
    "delivery_id": new_delivery,
    "token": download_token,
    "version": constant("1"),
    "provider": constant("github"),
    "name": constant("password"),
}
TENANT_PARAMS = {
    "org_id",
    "bot_id",
    "schedule_id",
    "user_id",
    "invitation_id",
    "key_id",
    "execution_id",
    "destination_id",
    "delivery_id",
}

# Bodies and cookies of well-formed requests.
Payload = Callable[[World], Awaitable[dict[str, Any]]]
_hashes: dict[str, str] = {}  # hashing takes ~0.1 s on purpose; one hash serves every sign-in


def fixed(payload: dict[str, Any]) -> Payload:
    async def make(_: World) -> dict[str, Any]:
        return payload

    return make


async def schedule_of_new_bot(w: World) -> dict[str, Any]:
    return {"bot_id": await new_bot(w), "cron_expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"}


async def registration(_: World) -> dict[str, Any]:
    return {"email": unique_email("new"), "password": PASSWORD}


async def credentials(w: World) -> dict[str, Any]:
    if PASSWORD not in _hashes:
        _hashes[PASSWORD] = await hash_password(PASSWORD)
    w.founder.user.password_hash = _hashes[PASSWORD]
    await w.session.flush()
    return {"email": w.founder.user.email, "password": PASSWORD}


async def invitation_token(w: World) -> dict[str, Any]:
    """An invitation for the caller's email to the founder's personal organization."""
    personal = w.subject(w.founder.user.default_org_id)
    email = w.user.email if w.user else unique_email()
    _, token = await orgs_service.invite(w.session, personal, email, Role.editor, valid_days=7)
    return {"token": token}


async def refresh_cookie(w: World) -> dict[str, Any]:
    token, now = new_token("rt_"), utcnow()
    w.session.add(
        RefreshToken(
            user_id=w.founder.user.id,
            family_id=uuid.uuid4(),
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
    )
    await w.session.flush()
    return {"sf_refresh": token}


SUCCESS = frozenset({200, 201, 204})
REDIRECT = frozenset({302})
ACCEPTED = frozenset({202})


@dataclass(frozen=True)
class Entry:
    """What a route needs, and how to make a well-formed request to it (path objects come from OBJECTS)."""

    level: Level
    body: Payload | None = None
    cookies: Payload | None = None
    ok: frozenset[int] = SUCCESS
    ok_code: str | None = None
    """The error code an allowed caller gets when `ok` is an error status (so it cannot be an authorization one)."""


LOOPBACK = "http://127.0.0.1:9/"
GUARDED = frozenset({403})  # the fetch guard's refusal, in Firecrawl's status for a site it will not fetch

MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", "/health"): Entry("public"),
    ("GET", "/ready"): Entry("public"),
    ("GET", "/metrics"): Entry("public"),  # open unless METRICS_TOKEN is set (tests/observability)
    ("POST", "/api/v1/auth/register"): Entry("public", body=registration),
    ("POST", "/api/v1/auth/login"): Entry("public", body=credentials),
    ("POST", "/api/v1/auth/refresh"): Entry("public", cookies=refresh_cookie),
    ("POST", "/api/v1/auth/logout"): Entry("public", cookies=refresh_cookie),
    ("GET", "/api/v1/auth/oauth/providers"): Entry("public"),
    ("GET", "/api/v1/auth/oauth/{provider}"): Entry("public", ok=REDIRECT),
    ("GET", "/api/v1/auth/oauth/{provider}/callback"): Entry("public", ok=REDIRECT),
    ("GET", "/api/v1/users/me"): Entry("user"),
    ("PUT", "/api/v1/users/me"): Entry("user", body=fixed({"name": "Renamed"})),
    ("DELETE", "/api/v1/users/me"): Entry("user"),
    ("GET", "/api/v1/orgs"): Entry("authenticated"),
    ("POST", "/api/v1/orgs"): Entry("user", body=fixed({"name": "New org"})),
    ("GET", "/api/v1/orgs/{org_id}"): Entry("viewer"),
    ("PUT", "/api/v1/orgs/{org_id}"): Entry("admin", body=fixed({"name": "Renamed org"})),
    ("DELETE", "/api/v1/orgs/{org_id}"): Entry("owner"),
    ("GET", "/api/v1/orgs/{org_id}/members"): Entry("viewer"),
    ("PUT", "/api/v1/orgs/{org_id}/members/{user_id}"): Entry("admin", body=fixed({"role": "editor"})),
    ("DELETE", "/api/v1/orgs/{org_id}/members/{user_id}"): Entry("admin"),
    ("DELETE", "/api/v1/orgs/{org_id}/membership"): Entry("user"),
    ("GET", "/api/v1/orgs/{org_id}/invitations"): Entry("admin"),
    ("POST", "/api/v1/orgs/{org_id}/invitations"): Entry("admin", body=fixed({"email": "grace@example.com"})),
    ("DELETE", "/api/v1/orgs/{org_id}/invitations/{invitation_id}"): Entry("admin"),
    ("POST", "/api/v1/invitations/accept"): Entry("user", body=invitation_token),
    ("GET", "/api/v1/orgs/{org_id}/api-keys"): Entry("admin"),
    ("POST", "/api/v1/orgs/{org_id}/api-keys"): Entry("admin", body=fixed({"name": "CI", "scopes": ["read"]})),
    ("DELETE", "/api/v1/orgs/{org_id}/api-keys/{key_id}"): Entry("admin"),
    ("GET", "/api/v1/orgs/{org_id}/audit"): Entry("admin"),
    ("GET", "/api/v1/orgs/{org_id}/llm"): Entry("viewer"),
    ("GET", "/api/v1/orgs/{org_id}/fetch"): Entry("viewer"),
    ("PUT", "/api/v1/orgs/{org_id}/fetch"): Entry("admin", body=fixed({"proxies": ["http://u:p@proxy.example:3128"]})),
    ("PUT", "/api/v1/orgs/{org_id}/llm"): Entry("admin", body=fixed({"api_key": "sk-test-0123456789", "model": "m"})),
    ("DELETE", "/api/v1/orgs/{org_id}/llm"): Entry("admin"),
    ("GET", "/api/v1/bots"): Entry("viewer"),
    ("POST", "/api/v1/bots"): Entry("editor", body=fixed({"name": "New bot", "start_url": START_URL})),
    ("POST", "/api/v1/bots/validate"): Entry("viewer", body=fixed({"workflow_json": {"nodes": [], "edges": []}})),
    # Test runs aim at a loopback address, refused by the fetch guard at once: no network is used.
    ("POST", "/api/v1/bots/test"): Entry(
        "editor",
        body=fixed(
            {"workflow_json": {"nodes": [{"id": "s", "type": "start", "data": {"urls": [LOOPBACK]}}], "edges": []}}
        ),
    ),
    ("POST", "/api/v1/bots/{bot_id}/test"): Entry("editor", body=fixed({"url": LOOPBACK})),
    ("GET", "/api/v1/bots/{bot_id}"): Entry("viewer"),
    # The picker's fetch aims at a loopback address too; the guard's refusal is its answer.
    ("POST", "/api/v1/picker/pages"): Entry(
        "editor", body=fixed({"url": LOOPBACK}), ok=frozenset({422}), ok_code="blocked_by_policy"
    ),
    # Resources are reached by signed links only; without one the request is malformed.
    ("GET", "/api/v1/picker/resource"): Entry("public", ok=frozenset({422}), ok_code="validation_error"),
    ("PUT", "/api/v1/bots/{bot_id}"): Entry("editor", body=fixed({"name": "Renamed bot"})),
    ("DELETE", "/api/v1/bots/{bot_id}"): Entry("editor"),
    ("GET", "/api/v1/bots/{bot_id}/versions"): Entry("viewer"),
    ("GET", "/api/v1/bots/{bot_id}/versions/{version}"): Entry("viewer"),
    ("POST", "/api/v1/bots/{bot_id}/versions/{version}/restore"): Entry("editor"),
    ("GET", "/api/v1/bots/{bot_id}/secrets"): Entry("viewer"),
    ("PUT", "/api/v1/bots/{bot_id}/secrets"): Entry("editor", body=fixed({"secrets": {"password": "s3cret"}})),
    ("DELETE", "/api/v1/bots/{bot_id}/secrets/{name}"): Entry("editor"),
    ("GET", "/api/v1/bots/{bot_id}/learned-selectors"): Entry("viewer"),
    ("POST", "/api/v1/bots/{bot_id}/execute"): Entry("editor", ok=ACCEPTED),
    ("GET", "/api/v1/bots/{bot_id}/rows"): Entry("viewer"),
    ("POST", "/api/v1/bots/{bot_id}/reextract"): Entry("editor", body=reextract_body, ok=ACCEPTED),
    ("GET", "/api/v1/executions"): Entry("viewer"),
    ("GET", "/api/v1/executions/{execution_id}"): Entry("viewer"),
    ("GET", "/api/v1/executions/{execution_id}/result"): Entry("viewer"),
    ("GET", "/api/v1/executions/{execution_id}/download"): Entry("viewer"),
    ("GET", "/api/v1/executions/{execution_id}/events"): Entry("viewer"),
    ("POST", "/api/v1/executions/{execution_id}/cancel"): Entry(
        "editor", ok=frozenset({409}), ok_code="execution_finished"
    ),
    ("POST", "/api/v1/executions/{execution_id}/retry"): Entry("editor", ok=ACCEPTED),
    ("DELETE", "/api/v1/bots/{bot_id}/learned-selectors"): Entry("editor"),
    ("GET", "/api/v1/executions/{execution_id}/deliveries"): Entry("viewer"),
    ("GET", "/api/v1/executions/{execution_id}/review"): Entry("viewer"),
    ("POST", "/api/v1/executions/{execution_id}/review"): Entry(
        "editor", body=fixed({"decision": "approve"}), ok=frozenset({409}), ok_code="not_in_review"
    ),
    ("GET", "/api/v1/exports/destinations"): Entry("viewer"),
    ("POST", "/api/v1/exports/webhook"): Entry(
        "admin", body=fixed({"name": "Hook", "url": "https://hooks.example.com/scrapeflow"})
    ),
    ("POST", "/api/v1/exports/slack"): Entry(
        "admin", body=fixed({"name": "Team", "webhook_url": "https://hooks.slack.com/services/T0/B0/x"})
    ),
    # No SMTP server in these settings: an allowed caller learns that email is unavailable.
    ("POST", "/api/v1/exports/email"): Entry(
        "admin",
        body=fixed({"name": "Mail", "to": ["ops@example.com"]}),
        ok=frozenset({422}),
        ok_code="email_unavailable",
    ),
    ("POST", "/api/v1/exports/google-sheets"): Entry(
        "admin",
        body=fixed(
            {
                "name": "Sheet",
                "spreadsheet": "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit",
                "credentials": {
                    "type": "authorized_user",
                    "client_id": "id",
                    "client_secret": "secret",
                    "refresh_token": "refresh",
                },
            }
        ),
    ),
    ("PUT", "/api/v1/exports/destinations/{destination_id}"): Entry("admin", body=fixed({"name": "Renamed"})),
    ("DELETE", "/api/v1/exports/destinations/{destination_id}"): Entry("admin"),
    ("POST", "/api/v1/exports/destinations/{destination_id}/test"): Entry("admin"),
    ("GET", "/api/v1/exports/destinations/{destination_id}/deliveries"): Entry("viewer"),
    ("POST", "/api/v1/exports/{execution_id}/send"): Entry("editor", body=send_body, ok=ACCEPTED),
    ("POST", "/api/v1/exports/deliveries/{delivery_id}/redeliver"): Entry("editor", ok=ACCEPTED),
    ("GET", "/api/v1/exports/downloads/{token}"): Entry("public"),
    ("GET", "/api/v1/schedules"): Entry("viewer"),
    ("POST", "/api/v1/schedules"): Entry("editor", body=schedule_of_new_bot),
    ("POST", "/api/v1/schedules/preview"): Entry(
        "viewer", body=fixed({"cron_expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"})
    ),
    ("GET", "/api/v1/schedules/{schedule_id}"): Entry("viewer"),
    ("PUT", "/api/v1/schedules/{schedule_id}"): Entry("editor", body=fixed({"cron_expression": "@daily"})),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): Entry("editor"),
    ("POST", "/api/v1/schedules/{schedule_id}/toggle"): Entry("editor"),
    ("GET", "/api/v1/workflow/node-types"): Entry("public"),
    # Billing is off in these tests (every organization has SELF_HOSTED_PLAN): subscribing is refused after
    # authorization; tests/billing runs the providers.
    ("GET", "/api/v1/payments/plans"): Entry("public"),
    ("GET", "/api/v1/users/usage"): Entry("viewer"),
    ("POST", "/api/v1/bots/{bot_id}/estimate"): Entry("editor"),
    ("POST", "/api/v1/payments/subscribe"): Entry(
        "owner", body=fixed({"plan": "pro"}), ok=frozenset({422}), ok_code="billing_disabled"
    ),
    ("POST", "/api/v1/payments/portal"): Entry("owner", ok=frozenset({422}), ok_code="billing_disabled"),
    ("POST", "/api/v1/payments/cancel"): Entry("owner", ok=frozenset({404}), ok_code="no_subscription"),
    ("GET", "/api/v1/payments/invoices"): Entry("owner"),
    ("POST", "/api/v1/payments/webhook"): Entry("public", ok=frozenset({400}), ok_code="invalid_signature"),
    ("POST", "/api/v1/payments/toss/webhook"): Entry(
        "public", body=fixed({"eventType": "PAYMENT_STATUS_CHANGED"}), ok=frozenset({422}), ok_code="billing_disabled"
    ),
    # Firecrawl's API for its SDKs, at the root: any API key (a read key is enough) or a member's token. They
    # aim at a loopback address, which the fetch guard refuses after authorization and before any network use.
    ("POST", "/v2/scrape"): Entry("viewer", body=fixed({"url": LOOPBACK}), ok=GUARDED, ok_code="BLOCKED_BY_POLICY"),
    ("POST", "/v2/map"): Entry("viewer", body=fixed({"url": LOOPBACK}), ok=GUARDED, ok_code="BLOCKED_BY_POLICY"),
    ("POST", "/v1/scrape"): Entry("viewer", body=fixed({"url": LOOPBACK}), ok=GUARDED, ok_code="BLOCKED_BY_POLICY"),
    ("POST", "/v1/map"): Entry("viewer", body=fixed({"url": LOOPBACK}), ok=GUARDED, ok_code="BLOCKED_BY_POLICY"),
}
ROUTES = sorted(MATRIX, key=lambda route: (route[1], route[0]))
ROLE_LEVELS = {role.value for role in Role}


def route_id(route: tuple[str, str]) -> str:
    return f"{route[0]} {route[1]}"


def path_params(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


def expected_refusal(level: Level, kind: Kind) -> tuple[int, str] | None:
    """The (status, error code) this caller must get, or None when it may call the route."""
    if level == "public":
        return None
    if kind is ANONYMOUS:
        return 401, "not_authenticated"
    if level == "authenticated":
        return None
    if level == "user":
        return (403, "user_required") if kind.scope else None
    return None if kind.rank >= Role(level).rank else (403, "insufficient_role")


async def call(
    client: httpx.AsyncClient,
    w: World,
    route: tuple[str, str],
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """Send a well-formed request with fresh objects for its path; a crash comes back as a 500 to report."""
    method, template = route
    entry = MATRIX[route]
    values = {name: await OBJECTS[name](w) for name in path_params(template)} | (params or {})
    w.made = values
    body = await entry.body(w) if entry.body else None
    cookies = await entry.cookies(w) if entry.cookies else {}
    if cookies:
        headers = {**headers, "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    client.cookies.clear()  # a cookie set by one call must not reach the next
    try:
        return await client.request(method, template.format(**values), json=body, headers=headers)
    except Exception as exc:  # the app raised: report it with the route and caller instead of stopping
        return httpx.Response(500, text=repr(exc))


def describe(route: tuple[str, str], who: str, response: httpx.Response) -> str:
    return f"{route_id(route)} as {who}: {response.status_code} {response.text[:200]}"


def error_code(response: httpx.Response) -> str | None:
    """Our body's `error.code`, or the top-level `code` of the Firecrawl-shaped bodies of the Firecrawl routes."""
    try:
        body = response.json()
        return str(body["error"]["code"] if isinstance(body["error"], dict) else body["code"])
    except (ValueError, KeyError, TypeError):
        return None


@pytest.fixture
def matrix_app(app: FastAPI, settings: Settings, caplog: pytest.LogCaptureFixture) -> FastAPI:
    """GitHub sign-in enabled, so the OAuth routes answer with their real redirects; and no access
    log lines, which would cost more than the hundreds of requests each test sends."""
    app.state.settings = settings.model_copy(update={"github_client_id": "matrix", "github_client_secret": "x"})
    caplog.set_level(logging.WARNING)
    return app


def test_matrix_covers_every_route(app: FastAPI) -> None:
    registered = {
        (method, context.path)
        for context in iter_route_contexts(app.routes)  # flattens included routers
        if isinstance(context.original_route, APIRoute) or str(context.path).startswith("/api/")
        for method in context.methods or {"*"}  # a mount under /api/ must be listed too
    }
    missing = sorted(registered - MATRIX.keys())
    stale = sorted(MATRIX.keys() - registered)
    assert not missing, f"routes missing from the authorization MATRIX: {missing}"
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"
    unknown = {name for _, template in MATRIX for name in path_params(template)} - OBJECTS.keys()
    assert not unknown, f"path parameters without an object maker in OBJECTS: {sorted(unknown)}"


async def role_problems(client: httpx.AsyncClient, people: People, route: tuple[str, str]) -> list[str]:
    """Each caller of org A gets exactly the rights of its role or scope."""
    entry, problems = MATRIX[route], []
    for kind in CALLERS:
        w = await people.world(kind)
        response = await call(client, w, route, w.headers)
        refusal = expected_refusal(entry.level, kind)
        wrong_code = entry.ok_code is not None and error_code(response) != entry.ok_code
        if refusal is None and (response.status_code not in entry.ok or wrong_code):
            problems.append(f"expected one of {sorted(entry.ok)}; {describe(route, kind.name, response)}")
        elif refusal is not None and (response.status_code, error_code(response)) != refusal:
            problems.append(f"expected {refusal[0]} {refusal[1]}; {describe(route, kind.name, response)}")
    return problems


async def outsider_problems(
    client: httpx.AsyncClient, w: World, route: tuple[str, str], outsider: Actor, key: str
) -> list[str]:
    """The owner of org B, and a read+write API key of org B, never reach org A or its objects: always 404.

    Objects are org A's in every variant; only the X-Org-Id header (or, for the owner, the path's org) changes.
    """
    names = set(path_params(route[1])) & TENANT_PARAMS
    if not names and MATRIX[route].level not in ROLE_LEVELS:
        return []  # nothing of org A to reach
    org_b = str(outsider.user.default_org_id)
    variants = {"X-Org-Id of org A": {"X-Org-Id": str(w.org.id)}}
    if names:  # without an org A object in the path, they may act in their own org
        variants |= {"no X-Org-Id": {}, "X-Org-Id of org B": {"X-Org-Id": org_b}}
    callers = {"owner of org B": outsider.headers, "API key of org B": {"Authorization": f"Bearer {key}"}}
    problems = []
    for who, headers in callers.items():
        for variant, extra_headers in variants.items():
            response = await call(client, w, route, headers | extra_headers)
            if response.status_code != 404:
                problems.append(f"expected 404; {describe(route, f'{who}, {variant}', response)}")
    if "org_id" in names and len(names) > 1:
        # With its own org in the path the owner passes every role check, so only tenancy can refuse.
        response = await call(client, w, route, outsider.headers, {"org_id": org_b})
        if response.status_code != 404:
            problems.append(f"expected 404; {describe(route, 'owner of org B, org B in the path', response)}")
    return problems


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
async def test_route_authorization(
    route: tuple[str, str],
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    matrix_app: FastAPI,
) -> None:
    people = await People.meet(session, settings)
    outsider = await make_user(session, settings, name="Outsider")
    assert outsider.user.default_org_id is not None
    org_b = AuthSubject(outsider.user.default_org_id, Role.owner, outsider.user.id, None, CLIENT)
    _, key = await orgs_service.create_api_key(session, org_b, "outsider", [ApiKeyScope.read, ApiKeyScope.write])
    problems = await role_problems(client, people, route)
    problems += await outsider_problems(client, await people.world(ANONYMOUS), route, outsider, key)
    assert not problems, "\n".join(problems)
