"""Sign-in with Google and GitHub, end to end against a local OAuth2 provider on a real socket."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jose import jwt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import AuditLog, OAuthAccount, Organization, User
from tests.auth.conftest import WEB_URL, client_for
from tests.auth.oauth_server import OAuthServer
from tests.factories import make_user

CALLBACK = "/api/v1/auth/oauth/{}/callback"
STATE_COOKIE = "sf_oauth_state"


async def consent(client: httpx.AsyncClient, provider: str, next_path: str = "/bots") -> dict[str, str]:
    """Start a sign-in and pass the provider's consent screen; return the code and state it sends back."""
    started = await client.get(f"/api/v1/auth/oauth/{provider}", params={"next": next_path})
    assert started.status_code == 302, started.text
    async with httpx.AsyncClient() as browser:  # the provider is a real server, not our ASGI app
        consented = await browser.get(started.headers["location"])
    assert consented.status_code == 302, consented.text
    callback = urlsplit(consented.headers["location"])
    assert callback.path == CALLBACK.format(provider)
    return {key: values[0] for key, values in parse_qs(callback.query).items()}


async def sign_in(client: httpx.AsyncClient, provider: str, next_path: str = "/bots") -> httpx.Response:
    params = await consent(client, provider, next_path)
    return await client.get(CALLBACK.format(provider), params=params)


async def whoami(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the web app does after the callback: trade the refresh cookie for an access token."""
    refreshed = await client.post("/api/v1/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    token = refreshed.json()["access_token"]
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    body: dict[str, Any] = me.json()
    return body


def assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{WEB_URL}/login?error={code}"
    assert "sf_refresh" not in response.cookies


async def users_named(session: AsyncSession, *emails: str) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(User.email.in_(emails))) or 0


async def test_providers_lists_only_enabled(
    client: httpx.AsyncClient, oauth_settings: Settings, session: AsyncSession
) -> None:
    assert (await client.get("/api/v1/auth/oauth/providers")).json() == []
    async with client_for(oauth_settings.model_copy(update={"github_client_id": ""}), session) as google_only:
        response = await google_only.get("/api/v1/auth/oauth/providers")
    assert response.json() == [{"name": "google", "authorize_url": "/api/v1/auth/oauth/google"}]


@pytest.mark.parametrize("path", ["/api/v1/auth/oauth/google", "/api/v1/auth/oauth/google/callback"])
async def test_disabled_provider_is_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, params={"code": "c", "state": "s"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "oauth_provider_disabled"


@pytest.mark.parametrize(
    ("provider", "scope"), [("google", "openid email profile"), ("github", "read:user user:email")]
)
async def test_start_redirects_to_provider_with_state_and_pkce(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, provider: str, scope: str
) -> None:
    response = await oauth_client.get(f"/api/v1/auth/oauth/{provider}", params={"next": "/bots"})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oauth_server.url}/{provider}/authorize"
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert query["client_id"] == getattr(oauth_server, provider).client_id
    assert query["redirect_uri"] == f"http://localhost:8000{CALLBACK.format(provider)}"
    assert query["response_type"] == "code"
    assert query["scope"] == scope
    assert len(query["state"]) >= 32
    assert query["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["code_challenge"])  # base64url of a SHA-256
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{STATE_COOKIE}=")
    assert all(part in cookie for part in ("HttpOnly", "Path=/api/v1/auth/oauth", "SameSite=lax", "Max-Age=600"))


async def test_google_sign_in_creates_verified_user_with_personal_org(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession
) -> None:
    response = await sign_in(oauth_client, "google", "/bots/7?tab=runs")

    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{WEB_URL}/bots/7?tab=runs"
    refresh = next(c for c in response.headers.get_list("set-cookie") if c.startswith("sf_refresh="))
    assert "HttpOnly" in refresh
    assert "Path=/api/v1/auth" in refresh
    assert STATE_COOKIE not in oauth_client.cookies  # spent: a replayed callback has no state to match
    assert oauth_server.google.token_errors == []
    assert len(oauth_server.google.token_requests) == 1

    user = await session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user is not None
    assert user.email_verified
    assert user.name == "Ada Lovelace"
    assert user.password_hash is None
    organization = await session.get(Organization, user.default_org_id)
    assert organization is not None
    assert organization.is_personal
    account = await session.scalar(select(OAuthAccount).where(OAuthAccount.user_id == user.id))
    assert account is not None
    assert (account.provider, account.provider_account_id) == ("google", "google-1")

    me = await whoami(oauth_client)
    assert me["id"] == str(user.id)
    assert me["email_verified"] is True

    logins = (
        await session.scalars(
            select(AuditLog).where(AuditLog.action == "auth.login", AuditLog.actor_user_id == user.id)
        )
    ).all()
    assert [(row.org_id, row.data) for row in logins] == [(organization.id, {"method": "google"})]


async def test_second_sign_in_with_same_account_finds_same_user(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession
) -> None:
    assert (await sign_in(oauth_client, "google")).headers["location"] == f"{WEB_URL}/bots"
    first = await whoami(oauth_client)

    # The account id, not the email, identifies the person: the provider's email may change.
    oauth_server.google.profile["email"] = "ada@new.example"
    assert (await sign_in(oauth_client, "google")).headers["location"] == f"{WEB_URL}/bots"
    second = await whoami(oauth_client)

    assert second["id"] == first["id"]
    assert second["email"] == "ada@example.com"
    assert await users_named(session, "ada@example.com", "ada@new.example") == 1
    accounts = await session.scalar(
        select(func.count()).select_from(OAuthAccount).where(OAuthAccount.provider == "google")
    )
    assert accounts == 1


async def test_github_links_existing_user_by_verified_primary_email(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession, settings: Settings
) -> None:
    existing = await make_user(session, settings, email="octocat@example.com")
    oauth_server.github.emails = [
        {"email": "octo@work.example", "primary": False, "verified": True},
        {"email": "OctoCat@Example.com", "primary": True, "verified": True},
    ]

    response = await sign_in(oauth_client, "github")

    assert response.headers["location"] == f"{WEB_URL}/bots"
    assert (await whoami(oauth_client))["id"] == str(existing.user.id)
    account = await session.scalar(select(OAuthAccount).where(OAuthAccount.provider == "github"))
    assert account is not None
    assert (account.user_id, account.provider_account_id) == (existing.user.id, "4242")
    assert await users_named(session, "octocat@example.com", "octo@work.example") == 1
    login = await session.scalar(select(AuditLog).where(AuditLog.actor_user_id == existing.user.id))
    assert login is not None
    assert (login.action, login.data) == ("auth.login", {"method": "github"})


async def test_linking_an_unverified_account_drops_the_password_set_by_whoever_registered_it(
    oauth_client: httpx.AsyncClient,
) -> None:
    # A squatter registers the victim's address before the victim first signs in with Google.
    squatter = {"email": "ada@example.com", "password": "squatter's password"}
    assert (await oauth_client.post("/api/v1/auth/register", json=squatter)).status_code == 201
    squatter_login = await oauth_client.post("/api/v1/auth/login", json=squatter)
    squatter_refresh = squatter_login.cookies["sf_refresh"]

    assert (await sign_in(oauth_client, "google")).headers["location"] == f"{WEB_URL}/bots"
    me = await whoami(oauth_client)
    assert me["email_verified"] is True

    assert (await oauth_client.post("/api/v1/auth/login", json=squatter)).status_code == 401
    oauth_client.cookies.clear()
    stale = await oauth_client.post("/api/v1/auth/refresh", headers={"Cookie": f"sf_refresh={squatter_refresh}"})
    assert stale.status_code == 401


async def test_github_without_verified_primary_email_is_refused(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession
) -> None:
    oauth_server.github.emails = [
        {"email": "octocat@example.com", "primary": True, "verified": False},
        {"email": "octo@work.example", "primary": False, "verified": True},
    ]
    assert_refused(await sign_in(oauth_client, "github"), "oauth_email_unverified")
    assert await users_named(session, "octocat@example.com", "octo@work.example") == 0


@pytest.mark.parametrize("verified", [False, "false"])
async def test_unverified_google_email_cannot_create_account(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession, verified: object
) -> None:
    oauth_server.google.profile["email_verified"] = verified
    assert_refused(await sign_in(oauth_client, "google"), "oauth_email_unverified")
    assert await users_named(session, "ada@example.com") == 0


def _resign(cookie: str, secret: str, **changes: object) -> str:
    return jwt.encode({**jwt.get_unverified_claims(cookie), **changes}, secret, algorithm="HS256")


Tamper = Callable[[str, str, str], tuple[str | None, str]]
STATE_ATTACKS: list[Any] = [
    pytest.param(lambda cookie, state, secret: (cookie, state + "x"), "oauth_state_mismatch", id="mismatch"),
    pytest.param(lambda cookie, state, secret: (None, state), "oauth_state_missing", id="no-cookie"),
    pytest.param(
        lambda cookie, state, secret: (_resign(cookie, "not-the-server-secret"), state),
        "oauth_state_invalid",
        id="forged",
    ),
    pytest.param(
        lambda cookie, state, secret: (_resign(cookie, secret, exp=int(time.time()) - 60), state),
        "oauth_state_invalid",
        id="expired",
    ),
]


@pytest.mark.parametrize(("tamper", "error"), STATE_ATTACKS)
async def test_callback_without_matching_state_is_refused(
    oauth_client: httpx.AsyncClient,
    oauth_server: OAuthServer,
    oauth_settings: Settings,
    session: AsyncSession,
    tamper: Tamper,
    error: str,
) -> None:
    params = await consent(oauth_client, "google")
    cookie, state = tamper(oauth_client.cookies[STATE_COOKIE], params["state"], oauth_settings.jwt_secret)
    oauth_client.cookies.clear()
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}

    response = await oauth_client.get(CALLBACK.format("google"), params={**params, "state": state}, headers=headers)

    assert_refused(response, error)
    assert oauth_server.google.token_requests == []  # refused before the code was spent
    assert await users_named(session, "ada@example.com") == 0


async def test_provider_refusing_the_code_exchange_is_reported(
    oauth_server: OAuthServer, oauth_settings: Settings, session: AsyncSession
) -> None:
    wrong_secret = oauth_settings.model_copy(update={"google_client_secret": "not-the-secret"})
    async with client_for(wrong_secret, session) as client:
        assert_refused(await sign_in(client, "google"), "oauth_failed")
    assert oauth_server.google.token_errors == ["invalid_client"]
    assert await users_named(session, "ada@example.com") == 0


async def test_code_from_another_sign_in_is_refused_by_pkce(
    oauth_client: httpx.AsyncClient, oauth_server: OAuthServer, session: AsyncSession
) -> None:
    # An attacker injects a code issued for their own sign-in into the victim's callback;
    # the victim's verifier does not match the attacker's challenge.
    injected = await consent(oauth_client, "google")
    victim = await consent(oauth_client, "google")

    response = await oauth_client.get(CALLBACK.format("google"), params={**victim, "code": injected["code"]})

    assert_refused(response, "oauth_failed")
    assert oauth_server.google.token_errors == ["invalid_grant"]
    assert await users_named(session, "ada@example.com") == 0


@pytest.mark.parametrize("next_path", ["https://evil.com/steal", "//evil.com", "/\\evil.com", "javascript:alert(1)"])
async def test_next_outside_the_web_app_is_reduced_to_root(oauth_client: httpx.AsyncClient, next_path: str) -> None:
    response = await sign_in(oauth_client, "google", next_path)
    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{WEB_URL}/"
