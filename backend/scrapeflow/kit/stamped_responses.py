"""Answers to repeated GETs from memory, while the change stamps they were built under hold.

A dashboard or an API client polling `GET /api/v1/bots` asks the same question many times a minute.
An endpoint whose answer depends only on the caller and on data covered by the caller's stamps
(the organization's and the account's, kit/stamps.py) opts in with `allow_caching(request, freshness)`.
The middleware then keeps the 200 answer, keyed by the exact credential, organization header, path and
query, and answers the same request again after one Redis read (the stamps) instead of routing,
authenticating and querying. A write that could change the answer renews a stamp, so the next request
is answered afresh, in every process.

Entries live at most `MAX_AGE_SECONDS` and never past the credential's expiry; the rate limits and logging
middleware sit outside this one, so a cached answer is still counted and logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrapeflow.kit.stamps import Freshness, StampedCache, Stamps, max_age_until
from scrapeflow.kit.time import utcnow

_STATE_KEY = "cache_under"
MAX_BYTES = 32 * 1024 * 1024  # per process, for all kept answers together


@dataclass(frozen=True, slots=True)
class _Answer:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keys: tuple[str, ...]


def allow_caching(request: Request, freshness: Freshness | None) -> None:
    """Let this request's 200 answer be kept while `freshness` holds (no-op when it is None)."""
    if freshness is not None:
        request.state.cache_under = freshness


class StampedResponseMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BYTES) -> None:
        self.app = app
        self.answers: StampedCache[_Answer] = StampedCache(max_weight=max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stamps: Stamps | None = scope["app"].state.stamps if scope["type"] == "http" else None
        if stamps is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = _request_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        known = self.answers.peek(key)
        if known is not None:
            answer, built_under = known
            if await stamps.read(answer.keys) == built_under:
                await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
                await send({"type": "http.response.body", "body": answer.body})
                return
        await self._answer_and_keep(scope, receive, send, key)

    async def _answer_and_keep(self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, ...]) -> None:
        headers: list[tuple[bytes, bytes]] | None = (
            None  # of a 200 answer, as sent by the app (outer layers add theirs)
        )
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and headers is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(scope, key, headers, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, scope: Scope, key: tuple[Any, ...], headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        freshness: Freshness | None = scope.get("state", {}).get(_STATE_KEY)
        if freshness is None:
            return
        max_age = max_age_until(freshness.expires_at, utcnow())
        self.answers.put(key, _Answer(headers, body, freshness.keys), freshness.stamps, max_age, weight=len(body) + 512)


def _request_key(scope: Scope) -> tuple[Any, ...] | None:
    """The exact question: credential (hashed), organization header, path and query.

    None (answer afresh, keep nothing) without a credential, or when the client asks for a fresh answer
    with `Cache-Control: no-cache` or `no-store`.
    """
    authorization = org = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"x-org-id":
            org = value
        elif name == b"cache-control" and (b"no-cache" in value or b"no-store" in value):
            return None
    if not authorization:
        return None
    credential = hashlib.sha256(authorization).digest()
    return credential, org, scope["path"], scope.get("query_string", b"")
