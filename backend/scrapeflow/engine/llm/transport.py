"""Connections to an LLM server chosen by a tenant, through the SSRF guard at connect time.

The openai SDK runs on httpx2/httpcore2 (its own copies of httpx and httpcore), so the engine's guarded
transport (engine/transport.py, for httpx) cannot be handed to it; this is the same network backend for
httpcore2: it resolves the host itself, vets every address and connects to a vetted one, so a name that
resolves to a private address, now or after a DNS change, is refused whatever it resolved to when saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.ssrf import SsrfGuard


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """httpcore2's network backend, connecting only to addresses the guard allows (TLS keeps the host name)."""

    def __init__(self, guard: SsrfGuard) -> None:
        self._guard = guard
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore2's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        error: Exception | None = None
        for address in await self._guard.vetted_addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore2.ConnectError(f"{host} resolved to no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore2's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise EngineError(ErrorCode.BLOCKED_BY_POLICY, "ScrapeFlow does not call LLM servers through local sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedLlmTransport(httpx2.AsyncHTTPTransport):
    """httpx2's transport on a connection pool that connects through GuardedBackend (the inherited request
    and close methods use `_pool` unchanged; the parent's constructor would build a pool to throw away)."""

    def __init__(self, guard: SsrfGuard) -> None:
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=20,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(guard),
        )


def guarded_http_client(guard: SsrfGuard, timeout: float) -> httpx2.AsyncClient:
    """An HTTP client for the openai SDK whose every connection passes `guard`; no proxy from the environment."""
    return httpx2.AsyncClient(transport=GuardedLlmTransport(guard), timeout=timeout, trust_env=False)
