"""Request rate limits: per organization for API keys and run endpoints (the plan's requests per minute), per
person for the web app's own requests, per IP for sign-in and sign-up.

slowapi's `Limiter` (fixed window, keyed by IP) limits sign-in and sign-up on Redis when `REDIS_URL` is set,
memory otherwise. The per-request limits count on the same backend through `limits`' asyncio storage (the
library slowapi is built on): slowapi's own checks are synchronous, and a blocking Redis call on every
request would stall the event loop. A middleware outside the answer cache
(kit/stamped_responses.py) counts every request whose credential it has seen resolved, cached answers
included; the auth dependency counts a credential's first request and teaches the middleware its bucket.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from redis.exceptions import RedisError
from slowapi import Limiter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrapeflow.billing.quotas import plan_of
from scrapeflow.config import Settings
from scrapeflow.kit.errors import TooManyRequests, error_response
from scrapeflow.kit.http import client_info
from scrapeflow.kit.ratelimit import create_storage
from scrapeflow.kit.time import utcnow

if TYPE_CHECKING:
    from scrapeflow.auth.subject import AuthSubject

log = structlog.get_logger("scrapeflow.ratelimits")
WINDOW_SECONDS = 60.0
LEASE_PARTS = 50
BUCKET_SECONDS = 60.0  # how long a credential's learned bucket is trusted (a plan change applies within it)
MAX_KNOWN = 100_000
_COUNTED = "rate_limit"  # scope state: (limit, remaining) once this request was counted


def ip_key(request: Request) -> str:
    return client_info(request).ip


def org_key(org_id: object) -> str:
    return f"org:{org_id}"


def user_key(user_id: object) -> str:
    return f"user:{user_id}"


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    per_minute: int
    learned_at: float


@dataclass(slots=True)
class Lease:
    """Requests this process took from a key's shared counter for one window and has not spent yet."""

    window: int
    taken: int  # the shared counter after the lease was taken (capped at the limit)
    left: int


class RateLimits:
    """The app's limiter: slowapi's for IPs, and the buckets of the credentials seen so far."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.enabled = settings.rate_limits_enabled
        self.slowapi = Limiter(
            key_func=ip_key,
            storage_uri=settings.redis_url or "memory://",
            strategy="fixed-window",
            headers_enabled=True,
            enabled=self.enabled,
            key_prefix="scrapeflow",
        )
        self.storage: Storage = create_storage(settings)
        self.known: dict[bytes, Bucket] = {}
        self.leases: dict[str, Lease] = {}

    async def hit(self, key: str, per_minute: int) -> tuple[int, int]:
        """Count one request in `key`'s current minute: (limit, remaining); 429 past the limit.

        A process takes requests from the shared counter in leases (1/`LEASE_PARTS` of the limit, at least one)
        and spends them locally, so a high limit costs one storage call per lease instead of one per request.
        Leases are counted when taken, so the organization never gets more than its limit; a process may hold
        a few unspent, refusing others slightly early. Small limits (under `LEASE_PARTS`) count every request."""
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        lease = self.leases.get(key)
        if lease is not None and lease.window == window and lease.left > 0:
            lease.left -= 1
            return per_minute, max(0, per_minute - lease.taken + lease.left)
        size = max(1, per_minute // LEASE_PARTS)
        try:
            taken = await self.storage.incr(f"requests/{key}/{window}", int(WINDOW_SECONDS) + 5, amount=size)
        except (RedisError, OSError):
            # The limits protect the service; an outage of their storage must not take the API down with it.
            log.warning("rate_limit_storage_unavailable", key=key)
            return per_minute, per_minute
        granted = min(size, per_minute - (taken - size))
        if granted <= 0:
            self.leases.pop(key, None)
            raise TooManyRequests(
                f"Too many requests: {per_minute} per minute allowed. Slow down, or upgrade your plan for more.",
                retry_after=max(1, math.ceil((window + 1) * WINDOW_SECONDS - now)),
                limit=per_minute,
            )
        if len(self.leases) >= MAX_KNOWN:
            self.leases.clear()
        self.leases[key] = Lease(window, min(taken, per_minute), granted - 1)
        return per_minute, max(0, per_minute - min(taken, per_minute) + granted - 1)

    def hit_ip(self, request: Request, per_minute: int) -> None:
        """Sign-in and sign-up, by IP, through slowapi's limiter (synchronous; these requests are rare)."""
        if not self.enabled:
            return
        item = RateLimitItemPerMinute(per_minute)
        key = self.slowapi._key_func(request)
        try:
            allowed = self.slowapi.limiter.hit(item, "auth", key)
            reset = 0.0 if allowed else self.slowapi.limiter.get_window_stats(item, "auth", key)[0]
        except (RedisError, OSError):
            log.warning("rate_limit_storage_unavailable", key="auth")
            return
        if not allowed:
            raise TooManyRequests(
                f"Too many attempts from your address: {per_minute} per minute allowed. Try again shortly.",
                retry_after=max(1, math.ceil(reset - time.time())),
                limit=per_minute,
            )

    async def count_caller(self, request: Request, subject: AuthSubject, per_minute: int | None) -> None:
        """Count a resolved caller's request (unless the middleware already did) and remember its bucket.

        `per_minute` is the organization's plan limit for an API key; None for a person (the user limit)."""
        if not self.enabled:
            return
        bucket = (
            Bucket(org_key(subject.org_id), per_minute, time.monotonic())
            if per_minute is not None
            else Bucket(user_key(subject.user_id), self.settings.rate_limit_user_per_minute, time.monotonic())
        )
        credential = _credential(request.scope)
        if credential is not None:
            if len(self.known) >= MAX_KNOWN:
                self.known.clear()
            self.known[credential] = bucket
        if _COUNTED not in request.scope.setdefault("state", {}):
            request.scope["state"][_COUNTED] = await self.hit(bucket.key, bucket.per_minute)

    def bucket_of(self, scope: Scope) -> Bucket | None:
        credential = _credential(scope)
        bucket = self.known.get(credential) if credential is not None else None
        if bucket is None or time.monotonic() - bucket.learned_at > BUCKET_SECONDS:
            return None
        return bucket


async def count_request(request: Request, session: AsyncSession, subject: AuthSubject) -> None:
    """The auth dependency's part: count a caller the middleware does not know yet (an API key against its
    organization's plan, a person against the user limit)."""
    limits: RateLimits = request.app.state.rate_limits
    if not limits.enabled or limits.bucket_of(request.scope) is not None:
        return
    per_minute = None
    if subject.api_key_id is not None:
        plan = await plan_of(session, limits.settings, subject.org_id, utcnow())
        per_minute = plan.api_requests_per_minute
    await limits.count_caller(request, subject, per_minute)


async def count_run(request: Request, session: AsyncSession, subject: AuthSubject) -> None:
    """Run endpoints (execute, test, estimate) count against the organization's plan limit whatever the
    credential (an API key's request already did)."""
    limits: RateLimits = request.app.state.rate_limits
    if limits.enabled and subject.api_key_id is None:
        plan = await plan_of(session, limits.settings, subject.org_id, utcnow())
        await limits.hit(org_key(subject.org_id), plan.api_requests_per_minute)


async def limit_by_ip(request: Request) -> None:
    """Sign-in and sign-up: RATE_LIMIT_AUTH_PER_MINUTE per IP."""
    limits: RateLimits = request.app.state.rate_limits
    limits.hit_ip(request, limits.settings.rate_limit_auth_per_minute)


def _credential(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return hashlib.sha256(value).digest()
    return None


class RateLimitMiddleware:
    """Counts requests of known credentials before the answer cache, and adds `X-RateLimit-*` headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limits: RateLimits | None = (
            getattr(scope["app"].state, "rate_limits", None) if scope["type"] == "http" else None
        )
        if limits is None or not limits.enabled:
            await self.app(scope, receive, send)
            return
        bucket = limits.bucket_of(scope)
        if bucket is not None:
            try:
                scope.setdefault("state", {})[_COUNTED] = await limits.hit(bucket.key, bucket.per_minute)
            except TooManyRequests as exc:
                await _refuse(scope, receive, send, exc)
                return

        async def with_headers(message: Message) -> None:
            counted = scope.get("state", {}).get(_COUNTED)
            if message["type"] == "http.response.start" and counted is not None:
                limit, remaining = counted
                headers = message.get("headers", [])
                if any(name == b"x-ratelimit-limit" for name, _ in headers):
                    await send(message)  # a refusal names the limit it hit
                    return
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-ratelimit-limit", str(limit).encode()),
                    (b"x-ratelimit-remaining", str(remaining).encode()),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: TooManyRequests) -> None:
    await error_response(exc)(scope, receive, send)
