"""A forward proxy on loopback that all of Chromium's traffic goes through. Each connection's host is vetted
by the SSRF guard and connected to the vetted address itself, so what route interception cannot see still
obeys FETCH_ALLOWLIST: redirect hops (Playwright lets them through unrouted), DNS rebinding between our check
and the browser's own lookup, WebSockets, and requests without a frame.

A run whose bot has proxies of its own gets its own GuardProxy with them as `upstreams`: after the same checks,
each connection goes out through the next upstream proxy (CONNECT for tunnels, absolute-form requests for plain
HTTP), so pages rendered in the browser leave from the bot's proxies just as its HTTP fetches do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.ssrf import SsrfGuard

BLOCKED_HEADER = "X-ScrapeFlow-Blocked"
_MAX_HEAD = 64 * 1024
_HOP_HEADERS = frozenset({b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"})
_CHUNK = 64 * 1024


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


@dataclass(frozen=True, slots=True)
class Upstream:
    """A bot's proxy (http:// or https://, credentials optional), as the guard proxy connects through it."""

    host: str
    port: int
    tls: bool
    authorization: bytes
    """The `Proxy-Authorization` header line (with its CRLF), or empty."""

    @classmethod
    def parse(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a proxy address: {parts.scheme}://{parts.hostname}")
        authorization = b""
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            authorization = b"Proxy-Authorization: Basic " + base64.b64encode(pair) + b"\r\n"
        tls = parts.scheme == "https"
        return cls(parts.hostname, parts.port or (443 if tls else 80), tls, authorization)

    @property
    def shown(self) -> str:
        return f"{self.host}:{self.port}"


class GuardProxy:
    """`await proxy.start()` returns the URL to give Chromium (`--proxy-server`); `await proxy.close()` stops it.
    Plain-HTTP requests get one upstream connection each (`Connection: close`); CONNECT tunnels carry
    HTTPS and WebSockets."""

    def __init__(
        self,
        guard: SsrfGuard,
        *,
        upstreams: Sequence[str] = (),
        connect_timeout: float = 15.0,
        head_timeout: float = 30.0,
    ) -> None:
        self.guard = guard
        self.upstreams = [Upstream.parse(url) for url in upstreams]
        self._next_upstream = 0
        self.connect_timeout = connect_timeout
        self.head_timeout = head_timeout
        self.blocked: deque[str] = deque(maxlen=200)
        """Recently refused hosts (host:port), newest last."""
        self.refusals = 0  # connections refused by the address policy
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, limit=_MAX_HEAD)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(self.head_timeout):
            head = await reader.readuntil(b"\r\n\r\n")
        request_line, _, rest = head.partition(b"\r\n")
        method, target, version = request_line.decode("latin-1").split(" ", 2)
        tunnel = method.upper() == "CONNECT"
        try:
            if tunnel:
                up_reader, up_writer, upstream = await self._open(f"https://{target}/", tunnel=target)
            else:
                parts = urlsplit(target)
                if parts.scheme != "http":
                    raise _Refused(400, "Bad Request", "Only absolute http:// requests are proxied.")
                up_reader, up_writer, upstream = await self._open(target)
        except _Refused as refused:
            marker = ""
            if refused.status == 403:
                self.refusals += 1
                marker = f"{BLOCKED_HEADER}: 1\r\n"
            body = str(refused).encode()
            writer.write(
                f"HTTP/1.1 {refused.status} {refused.reason}\r\n{marker}Content-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            return
        try:
            if tunnel:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
                await _pipe(reader, writer, up_reader, up_writer)
            else:
                # An upstream proxy takes the absolute URL (and its credentials); a site takes the path.
                path = target if upstream else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                extra = upstream.authorization if upstream else b""
                up_writer.write(f"{method} {path} {version}\r\n".encode("latin-1") + _request_headers(rest, extra))
                await _exchange(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await up_writer.wait_closed()

    async def _open(
        self, url: str, *, tunnel: str | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, Upstream | None]:
        """Vet the URL's host like the HTTP fetcher does, then connect to one of its allowed addresses, or through
        the next upstream proxy (whose own address is vetted too: a proxy inside our network must be allowlisted).
        For a tunnel through an upstream, the upstream's CONNECT is made here."""
        upstream: Upstream | None = None
        try:
            target = self.guard.check_url(url)
            addresses = await self.guard.vetted_addresses(target.host, target.port)
            host, port = target.host, target.port
            if self.upstreams:
                upstream = self.upstreams[self._next_upstream % len(self.upstreams)]
                self._next_upstream += 1
                host, port = upstream.host, upstream.port
                addresses = await self.guard.vetted_addresses(host, port)
        except EngineError as exc:
            if exc.code is not ErrorCode.NAVIGATION_ERROR:  # not merely a name that does not resolve
                self.blocked.append(urlsplit(url).netloc)
                raise _Refused(403, "Forbidden", exc.message) from None
            raise _Refused(502, "Bad Gateway", exc.message) from None
        failure: OSError | TimeoutError | None = None
        for address in addresses:
            try:
                async with asyncio.timeout(self.connect_timeout):
                    if upstream is not None and upstream.tls:
                        context = ssl.create_default_context()
                        reader, writer = await asyncio.open_connection(
                            address, port, limit=_MAX_HEAD, ssl=context, server_hostname=upstream.host
                        )
                    else:
                        reader, writer = await asyncio.open_connection(address, port, limit=_MAX_HEAD)
                break
            except (OSError, TimeoutError) as exc:
                failure = exc
        else:
            raise _Refused(502, "Bad Gateway", f"Could not connect to {host}: {failure}")
        if upstream is not None and tunnel is not None:
            await self._connect_through(reader, writer, upstream, tunnel)
        return reader, writer, upstream

    async def _connect_through(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: Upstream, authority: str
    ) -> None:
        """Open a tunnel to `authority` through the upstream proxy; closes the connection if it refuses."""
        try:
            writer.write(
                f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n".encode("latin-1")
                + upstream.authorization
                + b"\r\n"
            )
            await writer.drain()
            async with asyncio.timeout(self.connect_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1:2]
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            writer.close()
            raise _Refused(502, "Bad Gateway", f"The proxy {upstream.shown} failed: {exc!r}") from None
        if status != [b"200"]:
            writer.close()
            answer = status[0].decode("latin-1") if status else "nothing"
            raise _Refused(502, "Bad Gateway", f"The proxy {upstream.shown} answered {answer} to CONNECT {authority}.")


def _request_headers(block: bytes, extra: bytes = b"") -> bytes:
    """The client's headers without the proxy's hop-by-hop ones, plus `extra` (an upstream's credentials), and
    `Connection: close` (one request per upstream connection), unless the request upgrades (WebSocket)."""
    lines = [line for line in block.split(b"\r\n") if line]
    upgrade = any(line.split(b":", 1)[0].strip().lower() == b"upgrade" for line in lines)
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
    if extra:
        kept.append(extra.rstrip(b"\r\n"))
    kept.append(b"Connection: Upgrade" if upgrade else b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n"


def _response_head(head: bytes) -> bytes:
    """The server's response head with `Connection: close`, so the browser never sends another request (maybe
    for another host) down this connection; a 101 (WebSocket upgrade) goes through untouched."""
    status_line, _, rest = head.partition(b"\r\n")
    if status_line.split(b" ", 2)[1:2] == [b"101"]:
        return head
    lines = [line for line in rest.split(b"\r\n") if line]
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
    return b"\r\n".join([status_line, *kept, b"Connection: close", b"Proxy-Connection: close"]) + b"\r\n\r\n"


async def _exchange(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """One plain-HTTP exchange: the request body streams up while the response comes down. It ends when the
    server has sent everything, or when the browser hangs up (a closed page must not leave requests behind)."""
    upload = asyncio.create_task(_copy(client_reader, up_writer))
    download = asyncio.create_task(_respond(client_writer, up_reader))
    try:
        await asyncio.wait([upload, download], return_when=asyncio.FIRST_COMPLETED)
        if download.done():
            await download  # raises what the response copy raised
    finally:
        for task in (upload, download):
            task.cancel()
        await asyncio.gather(upload, download, return_exceptions=True)


async def _respond(client_writer: asyncio.StreamWriter, up_reader: asyncio.StreamReader) -> None:
    while True:
        head = await up_reader.readuntil(b"\r\n\r\n")
        interim = head[9:10] == b"1" and head[9:12] != b"101"  # "HTTP/1.1 1xx": 100 Continue, 103 hints
        client_writer.write(head if interim else _response_head(head))
        await client_writer.drain()
        if not interim:
            break
    # The body, or after a 101 the server's half of an upgraded connection (WebSocket).
    await _copy(up_reader, client_writer)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(_CHUNK):
        writer.write(chunk)
        await writer.drain()


async def _pipe(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side closes (a CONNECT tunnel); then both close."""
    tasks = [
        asyncio.create_task(_copy(client_reader, up_writer)),
        asyncio.create_task(_copy(up_reader, client_writer)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
