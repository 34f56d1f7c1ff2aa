"""httpx transports whose every TCP connection goes through the SSRF guard, so a host that passed the URL
check cannot resolve to a forbidden address by the time we connect (DNS rebinding)."""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.pool import LeanConnectionPool, LeanHTTPProxy
from scrapeflow.engine.ssrf import SsrfGuard

# Mirrors httpcore._backends.base.SOCKET_OPTION, which is not exported.
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


def _is_readable(sock: socket.socket | None) -> bool:
    """Whether recv() would return at once; on an idle keep-alive connection that means the server closed it."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """The anyio stream, except for httpcore's "is_readable" probe, which the pool makes for every idle
    connection on every request: anyio answers it by rebuilding a dict of socket attributes (and calling
    getpeername) each time, which was about a fifth of our per-request CPU. The socket is looked up once."""

    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 - httpcore's interface
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore's interface
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _is_readable(self._socket)
        return self._inner.get_extra_info(info)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, vets every address, then connects to a vetted IP.

    httpcore starts TLS afterwards with the original host name, so SNI and certificate checks are unchanged.
    """

    def __init__(self, guard: SsrfGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            # Resolution is part of connecting, so it spends the same connect timeout.
            async with asyncio.timeout(timeout):
                addresses = await self._guard.vetted_addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        error: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
                return _Stream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} resolved to no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EngineError(ErrorCode.BLOCKED_BY_POLICY, "ScrapeFlow does not fetch through local sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, on a connection pool that connects through GuardedNetworkBackend.

    httpx.AsyncHTTPTransport takes no network backend, and its constructor would build a pool we would
    throw away, so this builds the pool itself; the inherited request and close methods use it unchanged.
    """

    def __init__(
        self,
        guard: SsrfGuard,
        *,
        ssl_context: ssl.SSLContext,
        http2: bool = True,
        limits: httpx.Limits | None = None,
        proxy: str | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)
        backend = GuardedNetworkBackend(guard)
        if proxy is None:
            self._pool = LeanConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                http1=True,
                http2=http2,
                network_backend=backend,
            )
            return
        proxy_config = httpx.Proxy(url=proxy)
        if proxy_config.url.scheme not in ("http", "https"):
            raise ValueError(f"unsupported proxy scheme {proxy_config.url.scheme!r}: use http:// or https:// proxies")
        self._pool = LeanHTTPProxy(
            proxy_url=httpcore.URL(
                scheme=proxy_config.url.raw_scheme,
                host=proxy_config.url.raw_host,
                port=proxy_config.url.port,
                target=proxy_config.url.raw_path,
            ),
            proxy_auth=proxy_config.raw_auth,
            proxy_headers=proxy_config.headers.raw,
            proxy_ssl_context=proxy_config.ssl_context,
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=backend,
        )


class RotatingTransport(httpx.AsyncBaseTransport):
    """Sends each request through the next transport in turn (one per configured proxy)."""

    def __init__(self, transports: Sequence[httpx.AsyncBaseTransport]) -> None:
        if not transports:
            raise ValueError("RotatingTransport needs at least one transport")
        self._transports = list(transports)
        self._next = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports[self._next]
        self._next = (self._next + 1) % len(self._transports)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports:
            await transport.aclose()


def build_transport(
    guard: SsrfGuard,
    *,
    proxies: Sequence[str] = (),
    http2: bool = True,
    verify: bool | str | ssl.SSLContext = True,
    limits: httpx.Limits | None = None,
) -> httpx.AsyncBaseTransport:
    """One pooled, guarded transport, or a rotation over one per proxy.

    Proxy addresses are vetted like any other connection: a proxy on a private network must be
    allowlisted, otherwise a bot's proxy setting would be a way into the internal network.
    """
    if isinstance(verify, ssl.SSLContext):
        ssl_context = verify
    elif isinstance(verify, str):  # a CA bundle (httpx deprecates passing the path itself)
        ssl_context = ssl.create_default_context(cafile=verify)
    else:
        ssl_context = httpx.create_ssl_context(verify=verify)
    if not proxies:
        return GuardedTransport(guard, ssl_context=ssl_context, http2=http2, limits=limits)
    return RotatingTransport(
        [GuardedTransport(guard, ssl_context=ssl_context, http2=http2, limits=limits, proxy=p) for p in proxies]
    )
