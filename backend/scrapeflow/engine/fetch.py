"""The HTTP fetcher: one pooled, SSRF-guarded httpx client per run; redirects followed by hand so each hop
is vetted and counted; size-capped streaming bodies; charset detection; retries with backoff; and, per
domain, politeness, robots.txt and a circuit breaker."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import httpx

from scrapeflow.engine.circuit import CircuitBreaker
from scrapeflow.engine.decoding import decode_document, is_textual, looks_binary, media_type
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.exchange import Exchange, ExchangeLimits, exchange
from scrapeflow.engine.politeness import DomainLimiter, InProcessDomainLimiter, Outcome, PolitenessOptions
from scrapeflow.engine.retry import backoff_delay, is_retryable_status
from scrapeflow.engine.robots import RobotsCache
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard, Target
from scrapeflow.engine.transport import build_transport

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; ScrapeFlowBot/0.1)"
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
_ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five
# Sent to the URL the caller asked for and to same-host redirects only: a redirect to another site
# must not carry the bot's credentials there.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True, slots=True)
class FetchOptions:
    user_agent: str = DEFAULT_USER_AGENT
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    proxies: Sequence[str] = ()
    """http(s) proxy URLs, used in turn, one per request."""
    timeout: float = 30.0
    """Seconds for one request, connection and whole body included."""
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    retries: int = 3
    """Further attempts after a transient failure (network error, timeout, 408, 429, 5xx)."""
    backoff_base: float = 5.0
    backoff_max: float = 60.0
    max_retry_after: float = 120.0
    """A site asking to wait longer than this is not waited for inside one fetch: the error carries
    `retry_after` so the caller can come back later."""
    respect_robots: bool = True
    http2: bool = True
    allow_binary: bool = False
    """Return non-text responses (images, PDF) instead of refusing them with UNSUPPORTED_CONTENT."""
    allowlist: FetchAllowlist = field(default_factory=FetchAllowlist)
    politeness: PolitenessOptions = field(default_factory=PolitenessOptions)
    circuit_failures: int = 5
    circuit_cooldown: float = 30.0
    max_connections: int = 100
    verify: bool | str | ssl.SSLContext = True


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str
    """The URL as asked for."""
    final_url: str
    """Where the last redirect led."""
    status: int
    headers: httpx.Headers
    content: bytes
    text: str
    """The decoded document; empty for binary content fetched with allow_binary."""
    encoding: str
    content_type: str
    """The media type alone, e.g. text/html."""
    elapsed: float
    """Seconds for the whole fetch: redirects, retries and politeness waits included."""
    redirects: list[str]
    """The URLs that redirected, in order; final_url is not among them."""
    http_version: str
    attempts: int


@dataclass(frozen=True, slots=True)
class _Mode:
    credentials: bool
    check_robots: bool
    limits: ExchangeLimits


class HttpFetcher:
    """Fetches pages for one run. Use as `async with HttpFetcher(options) as fetcher:`; concurrent
    `fetch` calls share the connection pool, the per-domain limiter, robots cache and circuit breakers.
    """

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        limiter: DomainLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.options = options = options or FetchOptions()
        self.guard = SsrfGuard(options.allowlist)
        self.limiter: DomainLimiter = limiter or InProcessDomainLimiter(options.politeness)
        self.breaker = breaker or CircuitBreaker(options.circuit_failures, options.circuit_cooldown)
        self.robots = RobotsCache(self._download_robots, options.user_agent, limiter=self.limiter)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None
        self._transport: httpx.AsyncBaseTransport | None = None
        custom = {name.lower(): value for name, value in options.headers.items()}
        self._public_headers = {
            "user-agent": options.user_agent,
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-language": "en-US,en;q=0.9",
            **{name: value for name, value in custom.items() if name not in _CREDENTIAL_HEADERS},
        }
        self._cookies = dict(options.cookies) or None
        self._credential_headers = {name: value for name, value in custom.items() if name in _CREDENTIAL_HEADERS}
        limits = ExchangeLimits(max_bytes=options.max_bytes, timeout=options.timeout, any_content=options.allow_binary)
        self._page_mode = _Mode(credentials=True, check_robots=options.respect_robots, limits=limits)
        self._any_content_mode = _Mode(
            credentials=True, check_robots=options.respect_robots, limits=replace(limits, any_content=True)
        )
        self._robots_limits = ExchangeLimits(max_bytes=_ROBOTS_MAX_BYTES, timeout=options.timeout, any_content=True)

    async def __aenter__(self) -> Self:
        options = self.options
        transport = build_transport(
            self.guard,
            proxies=options.proxies,
            http2=options.http2,
            verify=options.verify,
            limits=httpx.Limits(
                max_connections=options.max_connections,
                max_keepalive_connections=options.max_connections,
                keepalive_expiry=30.0,
            ),
        )
        self._transport = transport
        self._client = httpx.AsyncClient(
            transport=transport,
            headers=self._public_headers,
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            trust_env=False,  # proxies come from the bot's options, never from the worker's environment
        )
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.__aexit__(exc_type, exc, tb)
            self._client = None
            self._transport = None

    async def sitemaps_of(self, url: str) -> list[str]:
        """The sitemaps the site's robots.txt names (empty when it names none or cannot be read)."""
        try:
            return await self.robots.sitemaps(self.guard.check_url(url))
        except EngineError:
            return []

    async def fetch(self, url: str, *, allow_binary: bool = False) -> FetchedPage:
        """Fetches a text document (HTML, XML, JSON, plain text) and decodes it; with `allow_binary`
        (e.g. a gzipped sitemap) other content is returned undecoded instead of refused.

        Raises EngineError with the code that explains the failure; transient ones were already
        retried `options.retries` times.
        """
        started = time.monotonic()
        target = self.guard.check_url(url)
        mode = self._any_content_mode if allow_binary else self._page_mode
        final, result, redirects, attempts = await self._follow(
            target, mode, self.options.max_redirects, self.options.retries
        )
        media = media_type(result.headers.get("content-type"))
        # Non-text media types were refused before their body was read; an unlabelled body is sniffed.
        if not is_textual(media) or (not media and looks_binary(result.content[:1024])):
            if not (allow_binary or self.options.allow_binary):
                raise EngineError(
                    ErrorCode.UNSUPPORTED_CONTENT,
                    f"{final.url} is not a web page but binary data, so there is nothing to extract from it. "
                    "Point the bot at the page that links to this file instead.",
                    url=url,
                )
            text, encoding = "", ""
        else:
            text, encoding = decode_document(result.content, result.headers.get("content-type"))
        return FetchedPage(
            url=url,
            final_url=final.url,
            status=result.status,
            headers=result.headers,
            content=result.content,
            text=text,
            encoding=encoding,
            content_type=media,
            elapsed=time.monotonic() - started,
            redirects=redirects,
            http_version=result.http_version,
            attempts=attempts,
        )

    async def _follow(
        self, target: Target, mode: _Mode, max_redirects: int, retries: int
    ) -> tuple[Target, Exchange, list[str], int]:
        first_host = target.host
        redirects: list[str] = []
        attempts = 0
        while True:
            hop_mode = mode if target.host == first_host or not mode.credentials else self._without_credentials(mode)
            result, tries = await self._with_retries(target, hop_mode, retries)
            attempts += tries
            if result.location is None:
                return target, result, redirects, attempts
            if len(redirects) >= max_redirects:
                raise EngineError(
                    ErrorCode.TOO_MANY_REDIRECTS,
                    f"{redirects[0] if redirects else target.url} redirected more than {max_redirects} times "
                    "(probably in a loop). Open it in a browser to check where it leads, then use the final address.",
                    url=redirects[0] if redirects else target.url,
                )
            redirects.append(target.url)
            try:
                target = self.guard.check_url(urljoin(target.url, result.location))
            except EngineError as exc:
                exc.url = redirects[0]
                exc.detail = f"redirect from {target.url} to {result.location}"
                raise

    def _without_credentials(self, mode: _Mode) -> _Mode:
        return _Mode(credentials=False, check_robots=mode.check_robots, limits=mode.limits)

    async def _with_retries(self, target: Target, mode: _Mode, retries: int) -> tuple[Exchange, int]:
        options = self.options
        for attempt in range(retries + 1):
            try:
                return await self._attempt(target, mode), attempt + 1
            except EngineError as exc:
                too_long = exc.retry_after is not None and exc.retry_after > options.max_retry_after
                if not exc.retryable or attempt == retries or too_long:
                    raise
                delay = backoff_delay(attempt, base=options.backoff_base, maximum=options.backoff_max, rng=self._rng)
                await self._sleep(max(delay, exc.retry_after or 0.0))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(self, target: Target, mode: _Mode) -> Exchange:
        """One request for one hop: robots, circuit breaker, politeness slot, then the exchange."""
        if self._client is None:
            raise RuntimeError("HttpFetcher must be used as an async context manager")
        domain = target.host
        if mode.check_robots:
            await self.robots.check(target)
        self.breaker.before_request(domain, target.url)
        failed: bool | None = None
        try:
            if self.options.proxies:
                # The proxy connects to the target, not us: vet the target's addresses ourselves.
                await self.guard.check_resolved(target)
            result = await self._polite_exchange(target, mode)
            failed = is_retryable_status(result.status)
        except EngineError as exc:
            # A status means the site answered; otherwise only transient errors say the site is unwell.
            failed = is_retryable_status(exc.status) if exc.status is not None else (exc.retryable or None)
            if exc.url is None:
                exc.url = target.url
            raise
        finally:
            self.breaker.record(domain, failed)
        return result

    async def _polite_exchange(self, target: Target, mode: _Mode) -> Exchange:
        assert self._client is not None
        domain = target.host
        await self.limiter.acquire(domain)
        status: int | None = None
        retry_after: float | None = None
        started = time.monotonic()
        try:
            result = await exchange(
                self._client,
                target,
                mode.limits,
                headers=self._credential_headers if mode.credentials else None,
                cookies=self._cookies if mode.credentials else None,
                transport=self._transport,
            )
            status = result.status
            return result
        except EngineError as exc:
            status, retry_after = exc.status, exc.retry_after
            raise
        finally:
            await self.limiter.release(domain, Outcome(status, time.monotonic() - started, retry_after))

    async def _download_robots(self, origin: str) -> str | None:
        target = self.guard.check_url(origin + "/robots.txt")
        mode = _Mode(credentials=False, check_robots=False, limits=self._robots_limits)
        try:
            _, result, _, _ = await self._follow(target, mode, _ROBOTS_MAX_REDIRECTS, retries=0)
        except EngineError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return ""  # RFC 9309: no robots.txt (4xx) means no restrictions
            return None
        text, _ = decode_document(result.content, "text/plain; charset=utf-8")
        return text
