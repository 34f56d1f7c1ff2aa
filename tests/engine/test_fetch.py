"""The HTTP fetcher over real sockets against the local test site: retries and backoff, redirects, size
cap, decoding, headers and cookies, politeness, robots.txt and the circuit breaker."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from pathlib import Path

import brotli
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from scrapeflow.engine.circuit import CircuitBreaker, CircuitState
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.politeness import InProcessDomainLimiter, Outcome, PolitenessOptions
from scrapeflow.engine.retry import backoff_delay, parse_retry_after
from scrapeflow.engine.ssrf import FetchAllowlist
from tests.site import SiteApp, create_site, serve_site
from tests.site.oddities import LATIN1_TEXT, LATIN1_TITLE, SHIFT_JIS_TEXT


class CountingApp:
    """Wraps the site to count the body bytes it hands to the server, to prove a download stopped early."""

    def __init__(self, app: SiteApp) -> None:
        self.app = app
        self.body_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.body_bytes += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


class Site:
    def __init__(self, app: SiteApp, counter: CountingApp, url: str) -> None:
        self.app, self.counter, self.url = app, counter, url

    @property
    def hits(self) -> dict[str, int]:
        return dict(self.app.state.hits)

    def reset(self) -> None:
        self.app.reset()
        self.counter.body_bytes = 0


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    app = create_site(size=20)
    counter = CountingApp(app)
    with serve_site(counter) as url:
        yield Site(app, counter, url)


def options(**overrides: object) -> FetchOptions:
    values: dict[str, object] = {
        "allowlist": FetchAllowlist.parse("127.0.0.1, localhost"),
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "respect_robots": False,
        "timeout": 5.0,
        "politeness": PolitenessOptions(penalty_delay=0.01),
    }
    values.update(overrides)
    return FetchOptions(**values)  # type: ignore[arg-type]


async def failure(fetcher: HttpFetcher, url: str) -> EngineError:
    with pytest.raises(EngineError) as caught:
        await fetcher.fetch(url)
    return caught.value


# --- retries ----------------------------------------------------------------------------------------


async def test_flaky_server_errors_are_retried_until_success(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options()) as fetcher:
        page = await fetcher.fetch(f"{site.url}/flaky?key=retry&fail=2")
    assert page.status == 200
    assert page.attempts == 3
    assert "Served on attempt 3" in page.text
    assert site.hits["/flaky?key=retry&fail=2"] == 3


async def test_gives_up_after_the_configured_retries(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options(retries=2)) as fetcher:
        error = await failure(fetcher, f"{site.url}/flaky?key=never&fail=100")
    assert (error.code, error.status, error.retryable) == (ErrorCode.HTTP_ERROR, 500, True)
    assert "try again later" in error.message
    assert site.hits["/flaky?key=never&fail=100"] == 3


async def test_permanent_errors_are_not_retried(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options()) as fetcher:
        for code in (404, 403, 410):
            error = await failure(fetcher, f"{site.url}/status/{code}")
            assert (error.code, error.status, error.retryable) == (ErrorCode.HTTP_ERROR, code, False)
        retried = await failure(fetcher, f"{site.url}/status/503")
    assert retried.retryable
    assert site.hits["/status/404"] == site.hits["/status/403"] == site.hits["/status/410"] == 1
    assert site.hits["/status/503"] == 4


async def test_retry_after_on_429_is_honoured(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options()) as fetcher:
        started = time.monotonic()
        page = await fetcher.fetch(f"{site.url}/rate-limited?key=wait&times=1&retry_after=1")
        waited = time.monotonic() - started
    assert page.status == 200
    assert page.attempts == 2
    assert waited >= 0.95  # the backoff alone would be at most 0.01 s


async def test_rate_limit_that_never_lifts_is_reported_as_rate_limited(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options(retries=2)) as fetcher:
        error = await failure(fetcher, f"{site.url}/rate-limited?key=always&times=100&retry_after=0")
        assert (error.code, error.status, error.retryable) == (ErrorCode.RATE_LIMITED, 429, True)
        assert site.hits["/rate-limited?key=always&times=100&retry_after=0"] == 3
        # A Retry-After longer than we wait inside one fetch ends it at once and hands the wait to the caller.
        started = time.monotonic()
        error = await failure(fetcher, f"{site.url}/rate-limited?key=long&times=100&retry_after=3600")
    assert time.monotonic() - started < 1
    assert (error.code, error.retry_after) == (ErrorCode.RATE_LIMITED, 3600.0)
    assert site.hits["/rate-limited?key=long&times=100&retry_after=3600"] == 1


async def test_slow_and_dripping_servers_time_out(site: Site) -> None:
    async with HttpFetcher(options(timeout=0.3, retries=1)) as fetcher:
        started = time.monotonic()
        error = await failure(fetcher, f"{site.url}/slow?ms=3000")
        # Headers at once, then a body that never finishes: the total deadline catches it.
        dripping = await failure(fetcher, f"{site.url}/slow?ms=3000&stream=1")
    assert (error.code, error.retryable) == (ErrorCode.TIMEOUT, True)
    assert dripping.code == ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2.5


async def test_unreachable_port_is_a_navigation_error() -> None:
    async with HttpFetcher(options(retries=1)) as fetcher:
        error = await failure(fetcher, "http://127.0.0.1:1/")
        invalid = await failure(fetcher, "http://exa mple.com/")
    assert (error.code, error.retryable) == (ErrorCode.NAVIGATION_ERROR, True)
    assert invalid.code == ErrorCode.INVALID_URL


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = time.time()
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_with_full_jitter_and_a_ceiling() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((0, 5.0), (1, 10.0), (2, 20.0), (5, 60.0)):
        delays = [backoff_delay(attempt, base=5.0, maximum=60.0, rng=rng) for _ in range(200)]
        assert min(delays) >= 0.0 and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # jitter spreads over the whole range, not just near the top


# --- redirects, size, content -----------------------------------------------------------------------


async def test_redirect_chain_is_followed_and_recorded(site: Site) -> None:
    async with HttpFetcher(options()) as fetcher:
        page = await fetcher.fetch(f"{site.url}/redirect/3?status=301")
    assert page.status == 200
    assert page.redirects == [
        f"{site.url}/redirect/3?status=301",
        f"{site.url}/redirect/2?status=301",
        f"{site.url}/redirect/1?status=301",
    ]
    assert page.final_url.startswith(f"{site.url}/products/")
    assert page.url == f"{site.url}/redirect/3?status=301"


async def test_redirect_loop_stops_with_too_many_redirects(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options(max_redirects=5)) as fetcher:
        error = await failure(fetcher, f"{site.url}/redirect-loop/a")
    assert error.code == ErrorCode.TOO_MANY_REDIRECTS
    assert error.url == f"{site.url}/redirect-loop/a"
    assert site.hits["/redirect-loop/a"] + site.hits["/redirect-loop/b"] == 6


async def test_oversized_pages_are_refused(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options(max_bytes=1024 * 1024, retries=3)) as fetcher:
        declared = await failure(fetcher, f"{site.url}/huge?length=1")
        streamed = await failure(fetcher, f"{site.url}/huge")
    for error in (declared, streamed):
        assert (error.code, error.retryable, error.status) == (ErrorCode.CONTENT_TOO_LARGE, False, 200)
        assert "larger than the 1 MB" in error.message
    assert site.hits["/huge"] == site.hits["/huge?length=1"] == 1  # never retried


async def test_oversized_stream_is_abandoned_without_reading_it_all() -> None:
    total = 64 * 1024 * 1024
    chunk = b"<p>" + b"x" * (64 * 1024 - 8) + b"</p>\n"
    sent = {"bytes": 0}

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        """Paced so that only what the client actually takes leaves; stops when the client hangs up."""
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        while sent["bytes"] < total and not gone.is_set():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sent["bytes"] += len(chunk)
            await asyncio.sleep(0.0005)
        watcher.cancel()

    with serve_site(endless) as url:
        async with HttpFetcher(options(max_bytes=1024 * 1024)) as fetcher:
            started = time.monotonic()
            error = await failure(fetcher, f"{url}/")
            elapsed = time.monotonic() - started
        await asyncio.sleep(0.2)  # give the server time to notice the hang-up
    assert error.code == ErrorCode.CONTENT_TOO_LARGE
    assert elapsed < 5
    assert sent["bytes"] < 8 * 1024 * 1024  # of 64 MiB


async def test_legacy_encodings_are_decoded(site: Site) -> None:
    async with HttpFetcher(options()) as fetcher:
        declared = await fetcher.fetch(f"{site.url}/latin1.html")
        sniffed = await fetcher.fetch(f"{site.url}/latin1-nocharset.html")
        japanese = await fetcher.fetch(f"{site.url}/shift-jis.html")
    for page in (declared, sniffed):
        assert LATIN1_TITLE in page.text
        assert LATIN1_TEXT in page.text
        assert "\ufffd" not in page.text
        assert page.encoding == "cp1252"  # what browsers use for an ISO-8859-1 label
    assert SHIFT_JIS_TEXT in japanese.text
    assert japanese.encoding == "shift_jis"


async def test_binary_content_is_refused_for_extraction(site: Site) -> None:
    async with HttpFetcher(options()) as fetcher:
        error = await failure(fetcher, f"{site.url}/binary.bin")
    assert (error.code, error.retryable) == (ErrorCode.UNSUPPORTED_CONTENT, False)
    async with HttpFetcher(options(allow_binary=True)) as fetcher:
        page = await fetcher.fetch(f"{site.url}/binary.bin")
    assert len(page.content) == 64 * 1024
    assert page.text == ""
    assert page.content_type == "application/octet-stream"


async def test_compressed_bodies_are_decoded() -> None:
    html = "<html><body>" + "<p>compressed café</p>" * 200 + "</body></html>"

    async def compressed(request: Request) -> Response:
        encoding = request.query_params["enc"]
        body = brotli.compress(html.encode()) if encoding == "br" else gzip.compress(html.encode())
        headers = {"Content-Encoding": encoding, "X-Accept-Encoding": request.headers.get("accept-encoding", "")}
        return Response(body, headers=headers, media_type="text/html; charset=utf-8")

    with serve_site(Starlette(routes=[Route("/c", compressed)])) as url:
        async with HttpFetcher(options()) as fetcher:
            for encoding in ("br", "gzip"):
                page = await fetcher.fetch(f"{url}/c?enc={encoding}")
                assert page.text == html
                assert "br" in page.headers["x-accept-encoding"]


async def test_user_agent_headers_and_cookies_are_sent(site: Site) -> None:
    opts = options(
        user_agent="AcmeBot/2.0 (+https://acme.example/bot)",
        headers={"X-Team": "growth", "Authorization": "Bearer secret-token"},
        cookies={"session": "abc123"},
    )
    async with HttpFetcher(opts) as fetcher:
        echoed = json.loads((await fetcher.fetch(f"{site.url}/headers")).text)
        assert echoed["headers"]["user-agent"] == "AcmeBot/2.0 (+https://acme.example/bot)"
        assert echoed["headers"]["x-team"] == "growth"
        assert echoed["headers"]["authorization"] == "Bearer secret-token"
        assert echoed["cookies"] == {"session": "abc123"}
        # Cookies the site sets are kept for the next requests of the run.
        echoed = json.loads((await fetcher.fetch(f"{site.url}/cookies/set?theme=dark")).text)
        assert echoed["cookies"] == {"session": "abc123", "theme": "dark"}
        # A redirect to another host does not carry the bot's credentials there.
        other = site.url.replace("127.0.0.1", "localhost")
        page = await fetcher.fetch(f"{site.url}/redirect-to?url={other}/headers")
        echoed = json.loads(page.text)
    assert echoed["headers"]["x-team"] == "growth"
    assert "authorization" not in echoed["headers"]
    assert "session" not in echoed["cookies"]


def write_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), so the fetcher can verify the HTTP/2 test server."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@contextmanager
def serve_tls_http2(app: Starlette, cert: Path, key: Path) -> Iterator[str]:
    """Hypercorn (which speaks HTTP/2 over TLS with ALPN) in a thread, on a socket bound here."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = HypercornConfig()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns (and closes) the socket from here
    config.certfile, config.keyfile = str(cert), str(key)
    config.loglevel = "WARNING"
    stop = threading.Event()

    async def stopped() -> None:
        await asyncio.to_thread(stop.wait)

    thread = threading.Thread(
        target=lambda: asyncio.run(hypercorn_serve(app, config, shutdown_trigger=stopped)), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=10)


async def test_http2_is_used_when_the_server_offers_it(tmp_path: Path) -> None:
    async def version(request: Request) -> Response:
        return Response(f"<p>{request.scope['http_version']}</p>", media_type="text/html")

    cert, key = write_self_signed_certificate(tmp_path)
    with serve_tls_http2(Starlette(routes=[Route("/v", version)]), cert, key) as url:
        async with HttpFetcher(options(allowlist=FetchAllowlist.parse("127.0.0.1"), verify=str(cert))) as fetcher:
            pages = await asyncio.gather(*(fetcher.fetch(f"{url}/v?n={n}") for n in range(6)))
        assert {(page.http_version, page.text) for page in pages} == {("HTTP/2", "<p>2</p>")}
        async with HttpFetcher(options(verify=str(cert), http2=False)) as fetcher:
            page = await fetcher.fetch(f"{url}/v")
        assert (page.http_version, page.text) == ("HTTP/1.1", "<p>1.1</p>")
        # An unknown certificate is refused, and says so.
        async with HttpFetcher(options()) as fetcher:
            error = await failure(fetcher, f"{url}/v")
        assert (error.code, error.retryable) == (ErrorCode.NAVIGATION_ERROR, False)
        assert "certificate" in error.message


# --- politeness, robots, circuit breaker ------------------------------------------------------------


async def test_per_domain_concurrency_never_exceeds_the_cap() -> None:
    app = create_site(size=5)  # its own site, so that no request left over by another test is counted
    politeness = PolitenessOptions(max_concurrency=3, adapt_to_latency=False)
    with serve_site(app) as url:
        async with HttpFetcher(options(politeness=politeness)) as fetcher:
            pages = await asyncio.gather(*(fetcher.fetch(f"{url}/slow?ms=100&n={n}") for n in range(12)))
            assert all(page.status == 200 for page in pages)
            assert app.state.max_in_flight == 3
            # The cap is per domain: another host name is another domain with its own three slots.
            app.reset()
            other = url.replace("127.0.0.1", "localhost")
            await asyncio.gather(
                *(fetcher.fetch(f"{base}/slow?ms=150&n={n}") for n in range(8) for base in (url, other))
            )
    assert app.state.max_in_flight == 6


async def test_min_delay_spaces_requests_to_a_domain(site: Site) -> None:
    politeness = PolitenessOptions(min_delay=0.1, adapt_to_latency=False)
    async with HttpFetcher(options(politeness=politeness)) as fetcher:
        started = time.monotonic()
        await asyncio.gather(*(fetcher.fetch(f"{site.url}/") for _ in range(5)))
    assert time.monotonic() - started >= 0.4


async def test_robots_disallow_is_honoured_unless_switched_off(site: Site) -> None:
    site.reset()
    async with HttpFetcher(options(respect_robots=True)) as fetcher:
        error = await failure(fetcher, f"{site.url}/private/secret.html")
        assert (error.code, error.retryable) == (ErrorCode.ROBOTS_DISALLOWED, False)
        for _ in range(3):
            assert (await fetcher.fetch(f"{site.url}/")).status == 200
        # Also checked on redirects into the disallowed area.
        error = await failure(fetcher, f"{site.url}/redirect-to?url=/private/secret.html")
        assert error.code == ErrorCode.ROBOTS_DISALLOWED
    assert site.hits["/robots.txt"] == 1
    assert "/private/secret.html" not in site.hits
    async with HttpFetcher(options(respect_robots=False)) as fetcher:
        assert "Staff only" in (await fetcher.fetch(f"{site.url}/private/secret.html")).text
    async with HttpFetcher(options(respect_robots=True, user_agent="BadBot/1.0")) as fetcher:
        assert (await failure(fetcher, f"{site.url}/")).code == ErrorCode.ROBOTS_DISALLOWED


async def test_robots_crawl_delay_slows_the_domain(site: Site) -> None:
    limiter = InProcessDomainLimiter(PolitenessOptions(adapt_to_latency=False))
    async with HttpFetcher(options(respect_robots=True, user_agent="SlowBot/1.0"), limiter=limiter) as fetcher:
        await fetcher.fetch(f"{site.url}/")
    assert limiter.delay("127.0.0.1") == 2.0


async def test_circuit_breaker_opens_then_lets_a_probe_close_it(site: Site) -> None:
    site.reset()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=0.5)
    async with HttpFetcher(options(retries=0), breaker=breaker) as fetcher:
        url = f"{site.url}/flaky?key=breaker&fail=2"
        for _ in range(2):
            assert (await failure(fetcher, url)).code == ErrorCode.HTTP_ERROR
        assert breaker.state("127.0.0.1") == CircuitState.OPEN
        error = await failure(fetcher, url)
        assert (error.code, error.retryable) == (ErrorCode.CIRCUIT_OPEN, True)
        assert 0 < (error.retry_after or 0) <= 0.5
        assert site.hits["/flaky?key=breaker&fail=2"] == 2  # failed fast, the site saw nothing
        await asyncio.sleep(0.55)
        assert breaker.state("127.0.0.1") == CircuitState.HALF_OPEN
        assert (await fetcher.fetch(url)).status == 200  # the probe
        assert breaker.state("127.0.0.1") == CircuitState.CLOSED
        assert (await fetcher.fetch(url)).status == 200


def test_half_open_circuit_lets_exactly_one_probe_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, cooldown=10.0, clock=lambda: now[0])
    for _ in range(3):
        breaker.before_request("shop.example")
        breaker.record("shop.example", failed=True)
    with pytest.raises(EngineError) as caught:
        breaker.before_request("shop.example")
    assert caught.value.retry_after == 10.0
    now[0] = 10.0
    breaker.before_request("shop.example")  # the probe
    with pytest.raises(EngineError):
        breaker.before_request("shop.example")  # others wait for its verdict
    breaker.record("shop.example", failed=True)  # failed probe: open again for a full cool-down
    now[0] = 15.0
    assert breaker.state("shop.example") == CircuitState.OPEN
    now[0] = 20.0
    breaker.before_request("shop.example")
    breaker.record("shop.example", failed=None)  # no verdict (e.g. refused by policy): the next may probe
    breaker.before_request("shop.example")
    breaker.record("shop.example", failed=False)
    assert breaker.state("shop.example") == CircuitState.CLOSED
    breaker.before_request("other.example")  # other domains never noticed


async def test_limiter_backs_off_on_push_back_and_relaxes_on_success() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = InProcessDomainLimiter(
        PolitenessOptions(max_concurrency=4, min_delay=0.0, penalty_delay=1.0), clock=lambda: now[0], sleep=sleep
    )

    async def request(outcome: Outcome) -> None:
        await limiter.acquire("shop.example")
        await limiter.release("shop.example", outcome)

    await request(Outcome(429, latency=0.01, retry_after=3.0))
    assert limiter.delay("shop.example") == 3.0
    await request(Outcome(503, latency=0.01))
    assert sum(slept) == pytest.approx(3.0)  # Retry-After held the whole domain
    assert limiter.delay("shop.example") == 6.0  # doubles while the site keeps pushing back
    await request(Outcome(200, latency=0.01))
    assert limiter.delay("shop.example") == 3.0  # relaxes step by step, not all at once
    for _ in range(12):
        await request(Outcome(200, latency=0.01))
    assert limiter.delay("shop.example") == 0.0  # a fast site is back to full speed, without timers
    await request(Outcome(200, latency=2.0))  # the site slows down: so do we
    assert limiter.delay("shop.example") == pytest.approx(0.5)
    await request(Outcome(None, latency=5.0))  # network errors: no change
    assert limiter.delay("shop.example") == pytest.approx(0.5)
    assert limiter.delay("other.example") == 0.0
