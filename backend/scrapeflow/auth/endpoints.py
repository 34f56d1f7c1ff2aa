"""HTTP endpoints for sign-up, sign-in, tokens, OAuth and the user's own account."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Cookie, Depends, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from scrapeflow.auth import oauth
from scrapeflow.auth import service as auth_service
from scrapeflow.auth.schemas import OAuthProvider, Token, User, UserLogin, UserRegister, UserUpdate
from scrapeflow.auth.subject import CurrentUser
from scrapeflow.billing.ratelimits import limit_by_ip
from scrapeflow.config import Settings
from scrapeflow.db import SessionDep
from scrapeflow.kit.http import ClientDep, SettingsDep
from scrapeflow.kit.ratelimit import FailureLimiter

REFRESH_COOKIE = "sf_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"
STATE_COOKIE = "sf_oauth_state"
STATE_COOKIE_PATH = "/api/v1/auth/oauth"

router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])

RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE, include_in_schema=False)]


async def get_failure_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.failure_limiter
    return limiter


async def get_http_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


def _set_cookie(response: Response, settings: Settings, name: str, value: str, *, max_age: int, path: str) -> None:
    """HttpOnly, SameSite=Lax (the OAuth redirect must carry it), Secure unless a plain-HTTP localhost site."""
    response.set_cookie(
        name, value, max_age=max_age, path=path, httponly=True, secure=settings.secure_cookies, samesite="lax"
    )


def _set_refresh_cookie(response: Response, settings: Settings, token: str) -> None:
    _set_cookie(
        response, settings, REFRESH_COOKIE, token, max_age=settings.refresh_token_days * 86400, path=REFRESH_COOKIE_PATH
    )


def _token(response: Response, settings: Settings, signed_in: auth_service.Session) -> Token:
    _set_refresh_cookie(response, settings, signed_in.refresh_token)
    response.headers["Cache-Control"] = "no-store"
    return Token(access_token=signed_in.access_token, expires_in=signed_in.expires_in)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    dependencies=[Depends(limit_by_ip)],
)
async def register(body: UserRegister, session: SessionDep) -> User:
    """Create a user and their personal organization. Sign in afterwards with `POST /auth/login`."""
    user = await auth_service.create_user(session, email=body.email, password=body.password, name=body.name)
    return User.model_validate(user)


@router.post("/login", summary="Sign in with email and password", dependencies=[Depends(limit_by_ip)])
async def login(
    body: UserLogin,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    limiter: Annotated[FailureLimiter, Depends(get_failure_limiter)],
) -> Token:
    """Returns a 15-minute access token and sets the HttpOnly refresh cookie."""
    signed_in = await auth_service.login(
        session, email=body.email, password=body.password, settings=settings, client=client, limiter=limiter
    )
    return _token(response, settings, signed_in)


@router.post("/refresh", summary="Get a new access token from the refresh cookie")
async def refresh(
    response: Response, session: SessionDep, settings: SettingsDep, client: ClientDep, token: RefreshCookie = None
) -> Token:
    """Rotates the refresh cookie. Reusing an old refresh token signs its session out everywhere."""
    signed_in = await auth_service.refresh(session, token=token, settings=settings, client=client)
    return _token(response, settings, signed_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
async def logout(response: Response, session: SessionDep, settings: SettingsDep, token: RefreshCookie = None) -> None:
    await auth_service.logout(session, token)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, secure=settings.secure_cookies, httponly=True)


@router.get("/oauth/providers", summary="List the enabled OAuth providers")
async def oauth_providers(settings: SettingsDep) -> list[OAuthProvider]:
    return [
        OAuthProvider(name=name, authorize_url=f"/api/v1/auth/oauth/{name}")
        for name in oauth.enabled_providers(settings)
    ]


@router.get(
    "/oauth/{provider}",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    summary="Start signing in with Google or GitHub",
)
async def oauth_start(
    provider: str,
    settings: SettingsDep,
    next: Annotated[str | None, Query(max_length=512, description="Web app path to return to.")] = None,
) -> RedirectResponse:
    chosen = oauth.get_provider(settings, provider)
    url, state_cookie = oauth.start(settings, chosen, next)
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    _set_cookie(
        response, settings, STATE_COOKIE, state_cookie, max_age=oauth.STATE_MINUTES * 60, path=STATE_COOKIE_PATH
    )
    return response


@router.get(
    "/oauth/{provider}/callback",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    summary="OAuth callback (the provider redirects here)",
)
async def oauth_callback(
    provider: str,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    http: Annotated[httpx.AsyncClient, Depends(get_http_client)],
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    state_cookie: Annotated[str | None, Cookie(alias=STATE_COOKIE, include_in_schema=False)] = None,
) -> RedirectResponse:
    """Signs the user in and sends the browser back to the web app, which then calls `/auth/refresh`."""
    web = settings.web_url.rstrip("/")
    chosen = oauth.get_provider(settings, provider)
    try:
        verifier, next_path = oauth.check_state(settings, chosen, state_cookie, state)
        if error or not code:
            raise oauth.OAuthError("The sign-in was cancelled.", code="oauth_cancelled")
        async with session.begin_nested():  # a refused sign-in leaves no half-made account behind
            signed_in = await oauth.complete(
                session, settings, chosen, code=code, verifier=verifier, client=client, http=http
            )
    except oauth.OAuthError as exc:
        response = RedirectResponse(f"{web}/login?error={exc.code}", status_code=status.HTTP_302_FOUND)
    else:
        response = RedirectResponse(f"{web}{next_path}", status_code=status.HTTP_302_FOUND)
        _set_refresh_cookie(response, settings, signed_in.refresh_token)
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    return response


@users_router.get("/me", summary="Your account")
async def read_me(user: CurrentUser) -> User:
    return User.model_validate(user)


@users_router.put("/me", summary="Update your name, email or password")
async def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> User:
    updated = await auth_service.update_me(
        session,
        user,
        name=body.name,
        email=body.email,
        password=body.password,
        current_password=body.current_password,
    )
    return User.model_validate(updated)


@users_router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, summary="Delete your account")
async def delete_me(user: CurrentUser, session: SessionDep) -> None:
    """Organizations where you are the only member are deleted too."""
    await auth_service.delete_me(session, user)
