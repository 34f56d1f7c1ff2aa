"""Access tokens, refresh-token rotation and reuse detection, API keys: the ways in, and the ways refused."""

from __future__ import annotations

import base64
import json
import time
import uuid

import httpx
from jose import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.tokens import ALGORITHM, AUDIENCE, ISSUER, create_access_token
from scrapeflow.config import Settings
from scrapeflow.models import AuditLog, RefreshToken
from tests.factories import START_URL, make_user

PASSWORD = "correct horse battery"


async def register_and_login(client: httpx.AsyncClient, email: str = "ada@example.com") -> str:
    registered = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Ada"})
    assert registered.status_code == 201, registered.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


async def refresh_with(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    """Present exactly this refresh token, as a browser replaying an old cookie would."""
    client.cookies.clear()
    return await client.post("/api/v1/auth/refresh", headers={"Cookie": f"sf_refresh={token}"})


def claims(settings: Settings, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    values: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
        "typ": "access",
    }
    values.update(overrides)
    return values


async def test_login_returns_access_token_and_sets_refresh_cookie(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD})
    response = await client.post("/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sf_refresh=rt_")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/api/v1/auth" in cookie
    assert "Secure" not in cookie  # plain-HTTP localhost
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "ada@example.com"


async def test_refresh_cookie_is_secure_on_a_public_https_site(
    client: httpx.AsyncClient, app: object, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"public_url": "https://scrape.example.com"})  # type: ignore[attr-defined]
    await client.post("/api/v1/auth/register", json={"email": "sec@example.com", "password": PASSWORD})
    response = await client.post("/api/v1/auth/login", json={"email": "sec@example.com", "password": PASSWORD})
    assert "Secure" in response.headers["set-cookie"]


async def test_login_does_not_reveal_whether_an_email_exists(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": "known@example.com", "password": PASSWORD})
    wrong_password = await client.post(
        "/api/v1/auth/login", json={"email": "known@example.com", "password": "nope-nope"}
    )
    unknown = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope"})
    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json() == unknown.json()


async def test_failed_logins_are_limited_per_email(client: httpx.AsyncClient, app: object, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"login_failures_per_email": 3})  # type: ignore[attr-defined]
    await client.post("/api/v1/auth/register", json={"email": "target@example.com", "password": PASSWORD})
    for _ in range(3):
        response = await client.post(
            "/api/v1/auth/login", json={"email": "target@example.com", "password": "guess-123"}
        )
        assert response.status_code == 401
    blocked = await client.post("/api/v1/auth/login", json={"email": "target@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["retry-after"]) > 0
    other = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "x"})
    assert other.status_code == 401  # another email from the same IP is still answered


async def test_failed_logins_are_limited_per_ip(client: httpx.AsyncClient, app: object, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"login_failures_per_ip": 4})  # type: ignore[attr-defined]
    for index in range(4):
        await client.post("/api/v1/auth/login", json={"email": f"spray{index}@example.com", "password": "guess-123"})
    blocked = await client.post("/api/v1/auth/login", json={"email": "fresh@example.com", "password": "guess-123"})
    assert blocked.status_code == 429


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await register_and_login(client)
    first = client.cookies.get("sf_refresh")
    assert first

    rotated = await client.post("/api/v1/auth/refresh")
    assert rotated.status_code == 200, rotated.text
    second = client.cookies.get("sf_refresh")
    assert second and second != first

    # An attacker replays the first (already rotated) token: the whole family is revoked...
    replay = await refresh_with(client, first)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    # ...so the legitimate, newest token no longer works either.
    after = await refresh_with(client, second)
    assert after.status_code == 401
    tokens = (await session.scalars(select(RefreshToken))).all()
    assert tokens and all(token.revoked_at is not None for token in tokens)


async def test_refresh_tokens_are_stored_hashed(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await register_and_login(client)
    raw = client.cookies.get("sf_refresh")
    stored = (await session.scalars(select(RefreshToken.token_hash))).all()
    assert raw not in stored
    assert all(len(value) == 64 for value in stored)


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient) -> None:
    await register_and_login(client)
    token = client.cookies.get("sf_refresh")
    logout = await client.post("/api/v1/auth/logout")
    assert logout.status_code == 204
    refused = await refresh_with(client, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_refresh_token"


async def test_expired_refresh_token_is_refused(client: httpx.AsyncClient, app: object, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"refresh_token_days": -1})  # type: ignore[attr-defined]
    await register_and_login(client)
    response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 401


async def test_refresh_without_cookie_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_refresh_token"


async def test_password_change_signs_out_other_sessions(client: httpx.AsyncClient) -> None:
    access = await register_and_login(client)
    headers = {"Authorization": f"Bearer {access}"}
    refused = await client.put("/api/v1/users/me", json={"password": "a new password"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "current_password_required"
    changed = await client.put(
        "/api/v1/users/me", json={"password": "a new password", "current_password": PASSWORD}, headers=headers
    )
    assert changed.status_code == 200
    assert (await client.post("/api/v1/auth/refresh")).status_code == 401
    relogin = await client.post("/api/v1/auth/login", json={"email": "ada@example.com", "password": "a new password"})
    assert relogin.status_code == 200


async def test_login_writes_an_audit_row(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await register_and_login(client, "audited@example.com")
    rows = (await session.scalars(select(AuditLog).where(AuditLog.action == "auth.login"))).all()
    assert len(rows) == 1
    assert rows[0].data == {"method": "password"}
    assert rows[0].ip


async def test_forged_and_malformed_access_tokens_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    actor = await make_user(session, settings)
    sub = str(actor.user.id)
    secret = settings.jwt_secret
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims(settings, sub=sub)).encode()).rstrip(b"=").decode()
    forged = {
        "alg none": f"{header}.{payload}.",
        "wrong key": jwt.encode(claims(settings, sub=sub), "another-secret", algorithm=ALGORITHM),
        "wrong audience": jwt.encode(claims(settings, sub=sub, aud="someone-else"), secret, algorithm=ALGORITHM),
        "wrong issuer": jwt.encode(claims(settings, sub=sub, iss="evil"), secret, algorithm=ALGORITHM),
        "expired": jwt.encode(claims(settings, sub=sub, exp=int(time.time()) - 5), secret, algorithm=ALGORITHM),
        "no expiry": jwt.encode({k: v for k, v in claims(settings, sub=sub).items() if k != "exp"}, secret),
        "not an access token": jwt.encode(claims(settings, sub=sub, typ="refresh"), secret, algorithm=ALGORITHM),
        "unknown user": create_access_token(uuid.uuid4(), secret, 5),
        "garbage": "not.a.jwt",
        "sub not a uuid": jwt.encode(claims(settings, sub="admin"), secret, algorithm=ALGORITHM),
    }
    assert (await client.get("/api/v1/users/me", headers=actor.headers)).status_code == 200
    for name, token in forged.items():
        response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "invalid_token", name
        assert response.headers["www-authenticate"] == "Bearer"


async def test_missing_or_non_bearer_credentials(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/bots")).status_code == 401
    basic = await client.get("/api/v1/bots", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    assert basic.json()["error"]["code"] == "not_authenticated"


async def test_api_keys_act_within_their_scope_and_can_be_revoked(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    created = await client.post(
        f"/api/v1/orgs/{org_id}/api-keys", json={"name": "CI", "scopes": ["read"]}, headers=owner.headers
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("sf_")
    key_headers = {"Authorization": f"Bearer {key}"}

    assert (await client.get("/api/v1/bots", headers=key_headers)).status_code == 200
    write = await client.post("/api/v1/bots", json={"name": "x", "start_url": START_URL}, headers=key_headers)
    assert write.status_code == 403
    assert write.json()["error"]["code"] == "insufficient_role"

    listed = await client.get(f"/api/v1/orgs/{org_id}/api-keys", headers=owner.headers)
    entry = listed.json()["items"][0]
    assert "key" not in entry
    assert entry["last_used_at"] is not None
    assert key.startswith(entry["prefix"])

    revoked = await client.delete(f"/api/v1/orgs/{org_id}/api-keys/{entry['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    after = await client.get("/api/v1/bots", headers=key_headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_api_key"
    actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.created_at))).all()
    assert [a for a in actions if a.startswith("api_key")] == ["api_key.created", "api_key.revoked"]


async def test_write_key_cannot_manage_members_or_keys(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    created = await client.post(
        f"/api/v1/orgs/{org_id}/api-keys", json={"name": "writer", "scopes": ["write"]}, headers=owner.headers
    )
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (
        await client.post("/api/v1/bots", json={"name": "ok", "start_url": START_URL}, headers=key_headers)
    ).status_code == 201
    more_keys = await client.post(
        f"/api/v1/orgs/{org_id}/api-keys", json={"name": "escalate", "scopes": ["write"]}, headers=key_headers
    )
    assert more_keys.status_code == 403
    me = await client.get("/api/v1/users/me", headers=key_headers)
    assert me.status_code == 403
    assert me.json()["error"]["code"] == "user_required"


async def test_unknown_api_key_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/bots", headers={"Authorization": "Bearer sf_not-a-real-key"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
