"""POSTs to receivers chosen by tenants: through the SSRF guard, bounded in time, never following redirects,
reading at most a little of the answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from scrapeflow.config import Settings
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from scrapeflow.engine.transport import build_transport

EXCERPT_CHARS = 500
READ_AT_MOST = 64 * 1024  # of a receiver's answer: the rest is not read (a huge body costs nothing)


class DeliveryError(Exception):
    """A send that did not succeed, with what the delivery log shows."""

    def __init__(
        self, message: str, *, status_code: int | None = None, excerpt: str | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.excerpt = excerpt
        self.retryable = retryable


@dataclass
class Answer:
    status_code: int
    excerpt: str
    duration_ms: int


class Outbound:
    """One pooled client for a delivery's requests."""

    def __init__(self, client: httpx.AsyncClient, timeout: float) -> None:
        self.client = client
        self.timeout = timeout

    async def post(self, url: str, content: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self._post(url, content, headers)
        except TimeoutError:
            raise DeliveryError(
                f"The receiver did not answer within {self.timeout:g} s; make it answer quickly (queue the work) "
                "and try again."
            ) from None
        except EngineError as exc:
            raise DeliveryError(exc.message, retryable=exc.retryable) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Could not reach the receiver: {type(exc).__name__}: {exc}"[:300]) from None
        answer.duration_ms = int((time.monotonic() - started) * 1000)
        return answer

    async def _post(self, url: str, content: bytes, headers: dict[str, str]) -> Answer:
        request = self.client.build_request(
            "POST", url, content=content, headers={"content-type": "application/json", **headers}
        )
        response = await self.client.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) >= READ_AT_MOST:
                    break
        finally:
            await response.aclose()
        excerpt = bytes(body[: EXCERPT_CHARS * 4]).decode("utf-8", "replace")[:EXCERPT_CHARS]
        status = response.status_code
        if 300 <= status < 400:
            where = response.headers.get("location", "elsewhere")
            raise DeliveryError(
                f"The receiver answered {status}, a redirect to {where[:200]}; redirects are not followed, so "
                "give the final address.",
                status_code=status,
                excerpt=excerpt,
            )
        if status >= 400:
            raise DeliveryError(f"The receiver answered {status}.", status_code=status, excerpt=excerpt)
        return Answer(status, excerpt, 0)


@asynccontextmanager
async def outbound(settings: Settings) -> AsyncIterator[Outbound]:
    guard = SsrfGuard(FetchAllowlist.parse(settings.fetch_allowlist))
    transport = build_transport(guard, http2=False)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False) as client:
        yield Outbound(client, settings.webhook_timeout_seconds)
