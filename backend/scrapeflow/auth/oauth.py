"""Sign-in with Google and GitHub: authorization-code flow with `state` and PKCE."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx
from jose import JWTError, jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth import service as auth_service
from scrapeflow.config import Settings
from scrapeflow.kit.crypto import same_digest
from scrapeflow.kit.errors import AppError, NotFound
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.time import utcnow
from scrapeflow.models import OAuthAccount, User

STATE_AUDIENCE = "scrapeflow:oauth-state"
STATE_MINUTES = 10


class OAuthError(AppError):
    status_code = 400
    code = "oauth_failed"


@dataclass(frozen=True)
class Provider:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scope: str


@dataclass(frozen=True)
class Profile:
    account_id: str
    email: str
    email_verified: bool
    name: str


def enabled_providers(settings: Settings) -> dict[str, Provider]:
    providers = {
        "google": Provider(
            "google",
            settings.google_client_id,
            settings.google_client_secret,
            settings.google_authorize_url,
            settings.google_token_url,
            "openid email profile",
        ),
        "github": Provider(
            "github",
            settings.github_client_id,
            settings.github_client_secret,
            settings.github_authorize_url,
            settings.github_token_url,
            "read:user user:email",
        ),
    }
    return {name: provider for name, provider in providers.items() if provider.client_id}


def get_provider(settings: Settings, name: str) -> Provider:
    provider = enabled_providers(settings).get(name)
    if provider is None:
        raise NotFound(f"Sign-in with {name!r} is not enabled on this server.", code="oauth_provider_disabled")
    return provider


def callback_url(settings: Settings, provider: Provider) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/auth/oauth/{provider.name}/callback"


def safe_redirect_path(path: str | None) -> str:
    """Only same-site paths: `/bots`, never `//evil.example` or `https://…`."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def start(settings: Settings, provider: Provider, redirect_path: str | None) -> tuple[str, str]:
    """Return the provider's authorization URL and the signed state cookie that must come back with it."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    cookie = jwt.encode(
        {
            "aud": STATE_AUDIENCE,
            "exp": int((utcnow() + timedelta(minutes=STATE_MINUTES)).timestamp()),
            "provider": provider.name,
            "state": state,
            "verifier": verifier,
            "next": safe_redirect_path(redirect_path),
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    query = urlencode(
        {
            "client_id": provider.client_id,
            "redirect_uri": callback_url(settings, provider),
            "response_type": "code",
            "scope": provider.scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{provider.authorize_url}?{query}", cookie


def check_state(settings: Settings, provider: Provider, cookie: str | None, state: str | None) -> tuple[str, str]:
    """Return (PKCE verifier, redirect path) when the callback's `state` matches the one we issued."""
    if not cookie or not state:
        raise OAuthError("The sign-in took too long or was started elsewhere; try again.", code="oauth_state_missing")
    try:
        claims = jwt.decode(cookie, settings.jwt_secret, algorithms=["HS256"], audience=STATE_AUDIENCE)
    except JWTError as exc:
        raise OAuthError("The sign-in took too long; try again.", code="oauth_state_invalid") from exc
    if claims.get("provider") != provider.name or not same_digest(str(claims.get("state", "")), state):
        raise OAuthError("The sign-in could not be verified; try again.", code="oauth_state_mismatch")
    return str(claims["verifier"]), safe_redirect_path(claims.get("next"))


async def _exchange_code(
    client: httpx.AsyncClient, settings: Settings, provider: Provider, code: str, verifier: str
) -> str:
    response = await client.post(
        provider.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_url(settings, provider),
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "code_verifier": verifier,
        },
        headers={"Accept": "application/json"},
    )
    payload = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    token = payload.get("access_token")
    if response.status_code != 200 or not token:
        raise OAuthError(f"{provider.name.title()} refused the sign-in ({payload.get('error', response.status_code)}).")
    return str(token)


async def _fetch_profile(client: httpx.AsyncClient, settings: Settings, provider: Provider, token: str) -> Profile:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if provider.name == "google":
        info = (await client.get(settings.google_userinfo_url, headers=headers)).raise_for_status().json()
        # Some Google endpoints send the flag as a string, and bool("false") is True.
        verified = info.get("email_verified") in (True, "true")
        return Profile(str(info["sub"]), str(info["email"]).lower(), verified, info.get("name") or "")
    api = settings.github_api_url.rstrip("/")
    info = (await client.get(f"{api}/user", headers=headers)).raise_for_status().json()
    emails = (await client.get(f"{api}/user/emails", headers=headers)).raise_for_status().json()
    primary = next((e for e in emails if e.get("primary") and e.get("verified")), None)
    if primary is None:
        raise OAuthError("Your GitHub account has no verified primary email.", code="oauth_email_unverified")
    return Profile(str(info["id"]), str(primary["email"]).lower(), True, info.get("name") or info.get("login") or "")


async def complete(
    session: AsyncSession,
    settings: Settings,
    provider: Provider,
    *,
    code: str,
    verifier: str,
    client: ClientInfo,
    http: httpx.AsyncClient,
) -> auth_service.Session:
    """Exchange the code, then sign in the linked user, link by verified email, or create a new user."""
    try:
        token = await _exchange_code(http, settings, provider, code, verifier)
        profile = await _fetch_profile(http, settings, provider, token)
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise OAuthError(f"{provider.name.title()} could not be reached or answered unexpectedly; try again.") from exc
    account = await session.scalar(
        select(OAuthAccount).where(
            OAuthAccount.provider == provider.name, OAuthAccount.provider_account_id == profile.account_id
        )
    )
    if account is not None:
        user = await session.get(User, account.user_id)
    else:
        if not profile.email_verified:
            raise OAuthError("Your account's email is not verified with the provider.", code="oauth_email_unverified")
        user = await session.scalar(select(User).where(User.email == profile.email))
        if user is None:
            user = await auth_service.create_user(
                session, email=profile.email, password=None, name=profile.name or None, email_verified=True
            )
        elif not user.email_verified:
            # Whoever registered this address never proved they own it; the provider just did. Their
            # password and sessions go, so someone who pre-registered a victim's email can't share the account.
            user.email_verified = True
            user.password_hash = None
            await auth_service.revoke_all_sessions(session, user)
        session.add(
            OAuthAccount(
                user_id=user.id, provider=provider.name, provider_account_id=profile.account_id, email=profile.email
            )
        )
    if user is None or not user.is_active:
        raise OAuthError("This account is disabled.", code="account_disabled")
    return await auth_service.sign_in(session, user, settings, client, provider.name)
