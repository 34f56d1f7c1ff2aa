"""A local OAuth2 provider speaking the Google and GitHub endpoints our sign-in calls, served over a real socket."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Grant:
    """What the authorize step bound a code to, checked again when the code is exchanged."""

    client_id: str
    redirect_uri: str
    code_challenge: str


@dataclass
class ProviderAccount:
    """One provider: its registered client, the account that signs in, and what our app sent it."""

    client_id: str
    client_secret: str
    profile: dict[str, Any]
    emails: list[dict[str, Any]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _oauth_error(error: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status_code)


class OAuthServer:
    def __init__(self) -> None:
        self.url = ""
        self.google = ProviderAccount(
            "google-client",
            "google-secret",
            {"sub": "google-1", "email": "ada@example.com", "email_verified": True, "name": "Ada Lovelace"},
        )
        self.github = ProviderAccount(
            "github-client",
            "github-secret",
            {"id": 4242, "login": "octocat", "name": "The Octocat"},
            emails=[{"email": "octocat@example.com", "primary": True, "verified": True}],
        )
        self.app = Starlette(
            routes=[
                Route("/{provider}/authorize", self.authorize),
                Route("/{provider}/token", self.token, methods=["POST"]),
                Route("/google/userinfo", self.google_userinfo),
                Route("/github/api/user", self.github_user),
                Route("/github/api/user/emails", self.github_emails),
            ]
        )

    def provider(self, request: Request) -> ProviderAccount:
        accounts = {"google": self.google, "github": self.github}
        if request.path_params["provider"] not in accounts:
            raise HTTPException(404)
        return accounts[request.path_params["provider"]]

    async def authorize(self, request: Request) -> Response:
        """Stands in for the consent screen: the user always agrees."""
        account, params = self.provider(request), dict(request.query_params)
        account.authorize_requests.append(params)
        if params.get("client_id") != account.client_id or params.get("response_type") != "code":
            return _oauth_error("invalid_request")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return _oauth_error("invalid_request")
        code = secrets.token_urlsafe(16)
        account.codes[code] = Grant(params["client_id"], params["redirect_uri"], params["code_challenge"])
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        account = self.provider(request)
        form = dict(parse_qsl((await request.body()).decode()))
        account.token_requests.append(form)
        error = self._check_token_request(account, form)
        if error:
            account.token_errors.append(error)
            return _oauth_error(error)
        access_token = secrets.token_urlsafe(16)
        account.access_tokens.add(access_token)
        return JSONResponse({"access_token": access_token, "token_type": "bearer"})

    @staticmethod
    def _check_token_request(account: ProviderAccount, form: dict[str, str]) -> str | None:
        if form.get("grant_type") != "authorization_code":
            return "unsupported_grant_type"
        if form.get("client_id") != account.client_id or form.get("client_secret") != account.client_secret:
            return "invalid_client"
        grant = account.codes.pop(form.get("code", ""), None)  # a code is good for one exchange only
        if grant is None or grant.client_id != form["client_id"] or grant.redirect_uri != form.get("redirect_uri"):
            return "invalid_grant"
        if s256(form.get("code_verifier", "")) != grant.code_challenge:
            return "invalid_grant"
        return None

    def _authorized(self, request: Request, account: ProviderAccount) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token in account.access_tokens

    async def google_userinfo(self, request: Request) -> Response:
        if not self._authorized(request, self.google):
            return _oauth_error("invalid_token", 401)
        return JSONResponse(self.google.profile)

    async def github_user(self, request: Request) -> Response:
        if not self._authorized(request, self.github):
            return _oauth_error("invalid_token", 401)
        return JSONResponse(self.github.profile)

    async def github_emails(self, request: Request) -> Response:
        if not self._authorized(request, self.github):
            return _oauth_error("invalid_token", 401)
        return JSONResponse(self.github.emails)


@contextmanager
def serve_oauth() -> Iterator[OAuthServer]:
    """Run a fresh provider with uvicorn in a thread on a free port of 127.0.0.1."""
    server = OAuthServer()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    uv = uvicorn.Server(uvicorn.Config(server.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the local OAuth server did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        listener.close()
