"""The SSRF guard: every spelling of a private address is refused, before connecting and on every
redirect, unless the operator allowlisted it; over real sockets against the local test site."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard, parse_host
from scrapeflow.engine.transport import GuardedNetworkBackend
from tests.site import SiteApp, create_site, serve_site

FORBIDDEN_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1./",
    "http://127.1/",
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f.0.0.1/",  # hex
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://%31%32%37.0.0.1/",  # percent-encoded
    "http://１２７.０.０.１/",  # fullwidth digits, folded by IDNA mapping
    "http://0/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://169.254.1.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/",  # IPv4-mapped metadata
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://[fe80::1%25eth0]/",  # link-local with a zone id
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of the metadata address
    "https://[::1]:8443/admin",
]


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_every_spelling_of_a_private_address_is_refused(url: str) -> None:
    with pytest.raises(EngineError) as caught:
        SsrfGuard().check_url(url)
    assert caught.value.code == ErrorCode.BLOCKED_BY_POLICY
    assert caught.value.url == url
    assert "FETCH_ALLOWLIST" in caught.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://93.184.216.34/a?b=1#frag", "http://93.184.216.34/a?b=1"),
        ("HTTP://Example.COM.:80/path", "http://example.com/path"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://[2606:4700:4700::1111]:8080", "http://[2606:4700:4700::1111]:8080/"),
        ("http://[64:ff9b::808:808]/", "http://[64:ff9b::808:808]/"),  # NAT64 of a public address
    ],
)
def test_public_urls_pass_in_canonical_form(url: str, expected: str) -> None:
    assert SsrfGuard().check_url(url).url == expected


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1:6379/", "javascript:alert(1)", "http://", "//x/"],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(EngineError) as caught:
        SsrfGuard().check_url(url)
    assert caught.value.code == ErrorCode.INVALID_URL


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.1.1.1", "0x100000000", "exa mple.com", "a..b", "127.0.0.09", "[::1", "-.example"]
)
def test_malformed_hosts_are_invalid_not_guessed(host: str) -> None:
    with pytest.raises(EngineError) as caught:
        parse_host(host)
    assert caught.value.code == ErrorCode.INVALID_URL


def test_allowlist_reads_hosts_wildcards_addresses_and_networks() -> None:
    allowlist = FetchAllowlist.parse(" intranet.local , *.corp.example, 127.0.0.1, 10.0.0.0/8, [fd00::]/8, ")
    guard = SsrfGuard(allowlist)
    assert allowlist.allows_name("intranet.local")
    assert allowlist.allows_name("wiki.corp.example")
    assert not allowlist.allows_name("corp.example.evil.com")
    assert guard.check_url("http://2130706433/").host == "127.0.0.1"  # any spelling of an allowed address
    assert guard.check_url("http://10.20.30.40/").host == "10.20.30.40"
    assert guard.check_url("http://[fd12::1]/").host == "fd12::1"
    for refused in ("http://127.0.0.2/", "http://192.168.0.1/", "http://169.254.169.254/"):
        with pytest.raises(EngineError):
            guard.check_url(refused)
    with pytest.raises(ValueError, match="FETCH_ALLOWLIST"):
        FetchAllowlist.parse("good.example, not a host")


# --- over real sockets ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[SiteApp, str]]:
    app = create_site(size=20)
    with serve_site(app) as url:
        yield app, url


@contextmanager
def serve_ipv6_loopback() -> Iterator[tuple[str, list[str]]]:
    """A tiny server on [::1] that records every request it gets (to prove none arrived)."""
    seen: list[str] = []

    async def anything(request: Request) -> Response:
        seen.append(request.url.path)
        return PlainTextResponse("internal")

    try:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Route("/{path:path}", anything)]), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        yield f"http://[::1]:{listener.getsockname()[1]}", seen
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def options(allowlist: str = "") -> FetchOptions:
    return FetchOptions(
        allowlist=FetchAllowlist.parse(allowlist), respect_robots=False, retries=0, backoff_base=0.01, timeout=5
    )


async def refused(fetcher: HttpFetcher, url: str) -> EngineError:
    with pytest.raises(EngineError) as caught:
        await fetcher.fetch(url)
    return caught.value


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_loopback_is_refused_without_allowlist_and_nothing_reaches_the_site(site: tuple[SiteApp, str]) -> None:
    app, url = site
    app.reset()
    port = port_of(url)
    async with HttpFetcher(options()) as fetcher:
        for spelling in (url, f"http://2130706433:{port}/", f"http://0x7f.1:{port}/", f"http://0177.0.0.1:{port}/"):
            assert (await refused(fetcher, spelling)).code == ErrorCode.BLOCKED_BY_POLICY
        # A name is resolved at connect time, and the address it resolves to is refused.
        error = await refused(fetcher, f"http://localhost:{port}/")
        assert error.code == ErrorCode.BLOCKED_BY_POLICY
        assert error.url == f"http://localhost:{port}/"
    assert sum(app.state.hits.values()) == 0


async def test_connect_time_check_refuses_names_that_resolve_to_private_addresses(site: tuple[SiteApp, str]) -> None:
    # The URL check lets names through (it cannot know where they point); the network backend resolves
    # them itself and connects only to vetted addresses, which is what defeats DNS rebinding.
    app, url = site
    app.reset()
    guard = SsrfGuard()
    assert guard.check_url("http://localhost/").address is None
    with pytest.raises(EngineError) as caught:
        await GuardedNetworkBackend(guard).connect_tcp("localhost", port_of(url), timeout=5)
    assert caught.value.code == ErrorCode.BLOCKED_BY_POLICY
    with pytest.raises(EngineError):
        await guard.check_resolved(guard.check_url("http://localhost/"))
    stream = await GuardedNetworkBackend(SsrfGuard(FetchAllowlist.parse("127.0.0.0/8"))).connect_tcp(
        "localhost", port_of(url), timeout=5
    )
    await stream.aclose()


async def test_allowlisted_address_and_network_are_fetched(site: tuple[SiteApp, str]) -> None:
    _app, url = site
    port = port_of(url)
    for allowlist in ("127.0.0.1", "127.0.0.0/8", "10.0.0.0/8, 127.0.0.1/32"):
        async with HttpFetcher(options(allowlist)) as fetcher:
            page = await fetcher.fetch(f"{url}/")
            assert page.status == 200
            assert "Test Shop" in page.text
            assert (await fetcher.fetch(f"http://2130706433:{port}/")).status == 200
    async with HttpFetcher(options("10.0.0.0/8")) as fetcher:
        assert (await refused(fetcher, f"{url}/")).code == ErrorCode.BLOCKED_BY_POLICY


async def test_allowlisted_host_name(site: tuple[SiteApp, str]) -> None:
    _app, url = site
    port = port_of(url)
    async with HttpFetcher(options("localhost")) as fetcher:
        page = await fetcher.fetch(f"http://localhost:{port}/")
        assert page.status == 200
        # The name is trusted, not the address it happens to have.
        assert (await refused(fetcher, f"http://127.0.0.1:{port}/")).code == ErrorCode.BLOCKED_BY_POLICY


async def test_redirect_to_ipv6_loopback_is_refused_before_connecting(site: tuple[SiteApp, str]) -> None:
    _app, url = site
    with serve_ipv6_loopback() as (internal, seen):
        async with HttpFetcher(options("127.0.0.1")) as fetcher:
            error = await refused(fetcher, f"{url}/redirect-to?url={internal}/secret")
            assert error.code == ErrorCode.BLOCKED_BY_POLICY
            assert error.url == f"{url}/redirect-to?url={internal}/secret"
            # The same server is reachable when allowlisted: the refusal above was the guard, not the network.
        async with HttpFetcher(options("127.0.0.1, ::1")) as fetcher:
            page = await fetcher.fetch(f"{url}/redirect-to?url={internal}/allowed")
            assert page.final_url == f"{internal}/allowed"
    assert seen == ["/allowed"]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://0xa9fea9fe/",
        "http://10.0.0.1:8080/",
        "file:///etc/passwd",
    ],
)
async def test_redirects_to_metadata_and_internal_targets_are_refused(site: tuple[SiteApp, str], target: str) -> None:
    _app, url = site
    async with HttpFetcher(options("127.0.0.1")) as fetcher:
        started = time.monotonic()
        error = await refused(fetcher, f"{url}/redirect-to?url={target}")
    assert error.code in (ErrorCode.BLOCKED_BY_POLICY, ErrorCode.INVALID_URL)
    assert error.code == ErrorCode.INVALID_URL or "FETCH_ALLOWLIST" in error.message
    # Refused before any connection attempt: an unroutable metadata address would otherwise hang until the timeout.
    assert time.monotonic() - started < 2


async def test_redirect_chain_is_checked_at_every_hop(site: tuple[SiteApp, str]) -> None:
    app, url = site
    app.reset()
    inner = f"{url}/redirect-to?url=http://10.0.0.1/"
    async with HttpFetcher(options("127.0.0.1")) as fetcher:
        error = await refused(fetcher, f"{url}/redirect-to?url={quote(inner, safe='')}")
    assert error.code == ErrorCode.BLOCKED_BY_POLICY
    assert app.state.hits["/redirect-to?url=http://10.0.0.1/"] == 1


@pytest.fixture
async def proxies() -> AsyncIterator[tuple[list[str], list[str]]]:
    """Two forward proxies that answer for any absolute URL themselves (no upstream) and log what they got."""
    log: list[str] = []
    urls: list[str] = []

    def proxy(name: str) -> Starlette:
        async def answer(request: Request) -> Response:
            log.append(f"{name} {request.url.hostname}{request.url.path}")
            return Response(f"<p>via {name}</p>", media_type="text/html")

        return Starlette(routes=[Route("/{path:path}", answer)])

    with serve_site(proxy("one")) as first, serve_site(proxy("two")) as second:
        urls.extend([first, second])
        yield urls, log


async def test_proxies_rotate_and_targets_are_still_vetted(proxies: tuple[list[str], list[str]]) -> None:
    urls, log = proxies
    opts = FetchOptions(
        allowlist=FetchAllowlist.parse("127.0.0.1"), proxies=urls, respect_robots=False, retries=0, http2=False
    )
    async with HttpFetcher(opts) as fetcher:
        texts = [(await fetcher.fetch(f"http://93.184.216.34/p{n}")).text for n in range(4)]
        assert texts == ["<p>via one</p>", "<p>via two</p>", "<p>via one</p>", "<p>via two</p>"]
        # The proxy would connect for us, so the target's own address is vetted first.
        assert (await refused(fetcher, "http://169.254.169.254/")).code == ErrorCode.BLOCKED_BY_POLICY
    assert log == ["one 93.184.216.34/p0", "two 93.184.216.34/p1", "one 93.184.216.34/p2", "two 93.184.216.34/p3"]
    # A proxy on a private address must itself be allowlisted.
    async with HttpFetcher(FetchOptions(proxies=urls, respect_robots=False, retries=0)) as fetcher:
        assert (await refused(fetcher, "http://93.184.216.34/")).code == ErrorCode.BLOCKED_BY_POLICY


async def test_resolution_failure_is_a_navigation_error() -> None:
    with pytest.raises(EngineError) as caught:
        await asyncio.wait_for(SsrfGuard().vetted_addresses("no-such-host.invalid", 80), 10)
    assert caught.value.code == ErrorCode.NAVIGATION_ERROR
