"""The site's misbehaving endpoints: redirects, rate limits, failures, slowness, huge pages, header echo."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from tests.site import oddities, pages
from tests.site.catalog import Catalog

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_SLOW_MS = 60_000


@dataclass
class SiteState:
    """What the stateful endpoints remember and what the site saw; `reset()` between tests."""

    attempts: Counter[str] = field(default_factory=Counter)  # "rate-limited:<key>", "flaky:<key>", "login"
    hits: Counter[str] = field(default_factory=Counter)  # path?query of every request served
    in_flight: int = 0
    max_in_flight: int = 0
    csrf_tokens: set[str] = field(default_factory=set)  # issued by GET /login, each good for one POST
    sessions: set[str] = field(default_factory=set)  # signed-in members' session cookies

    def reset(self) -> None:
        self.attempts.clear()
        self.hits.clear()
        self.csrf_tokens.clear()
        self.sessions.clear()
        self.max_in_flight = self.in_flight


def html_response(title: str, message: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(pages.render_message(title, message), status_code, headers, "text/html")


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = request.query_params.get(name, "")
    return min(high, max(low, int(value))) if value.lstrip("-").isdigit() else default


def _status_param(request: Request) -> int:
    status = _int_param(request, "status", 302, 300, 399)
    return status if status in REDIRECT_STATUSES else 302


class Behaviours:
    """Starlette endpoints; the stateful ones keep their counters in `state`, keyed by the `key` parameter."""

    def __init__(self, catalog: Catalog, state: SiteState) -> None:
        self.catalog, self.state = catalog, state

    async def redirect_chain(self, request: Request) -> Response:
        """`/redirect/<n>`: n hops (relative Locations, the last one absolute) ending at the first product."""
        hops: int = request.path_params["hops"]
        if not 1 <= hops <= 100:
            return html_response("Not found", "A redirect chain has 1 to 100 hops.", 404)
        status = _status_param(request)
        if hops == 1:
            return RedirectResponse(f"{_origin(request)}{self.catalog.products[0].path}", status)
        suffix = f"?status={status}" if "status" in request.query_params else ""
        return RedirectResponse(f"/redirect/{hops - 1}{suffix}", status)

    async def redirect_loop(self, request: Request) -> Response:
        side = request.path_params["side"]
        if side not in ("a", "b"):
            return html_response("Not found", "The loop has two ends, a and b.", 404)
        return RedirectResponse(f"/redirect-loop/{'b' if side == 'a' else 'a'}", 302)

    async def redirect_to(self, request: Request) -> Response:
        """An open redirect to any `url`, private addresses included: the engine's SSRF guard must catch it."""
        url = request.query_params.get("url")
        if not url:
            return html_response("Bad request", "Pass the target as ?url=…", 400)
        return RedirectResponse(url, _status_param(request))

    async def rate_limited(self, request: Request) -> Response:
        """The first `times` requests per `key` get 429 with Retry-After (seconds), later ones 200."""
        key = request.query_params.get("key", "default")
        times = _int_param(request, "times", 1, 0, 1000)
        retry_after = _int_param(request, "retry_after", 1, 0, 3600)
        self.state.attempts[f"rate-limited:{key}"] += 1
        attempt = self.state.attempts[f"rate-limited:{key}"]
        if attempt <= times:
            headers = {"Retry-After": str(retry_after)}
            return html_response("Too many requests", f"Slow down (attempt {attempt}).", 429, headers)
        return html_response("Rate limited page", f"Served on attempt {attempt}.")

    async def flaky(self, request: Request) -> Response:
        """The first `fail` requests per `key` answer 500, later ones 200."""
        key = request.query_params.get("key", "default")
        fail = _int_param(request, "fail", 2, 0, 1000)
        self.state.attempts[f"flaky:{key}"] += 1
        attempt = self.state.attempts[f"flaky:{key}"]
        if attempt <= fail:
            return html_response("Server error", f"Failed on attempt {attempt}.", 500)
        return html_response("Flaky page", f"Served on attempt {attempt}.")

    async def slow(self, request: Request) -> Response:
        """Waits `ms` before answering; with `stream=1` the headers come at once and the body after the wait."""
        delay = _int_param(request, "ms", 1000, 0, MAX_SLOW_MS) / 1000
        body = pages.render_message("Slow page", f"Answered after {delay:.3f} s.").encode()
        if request.query_params.get("stream") == "1":

            async def trickle() -> AsyncIterator[bytes]:
                yield body[:64]
                await asyncio.sleep(delay)
                yield body[64:]

            return StreamingResponse(trickle(), media_type="text/html")
        if not await _sleep_while_connected(request, delay):
            return Response(status_code=499)  # nobody is listening any more
        return Response(body, media_type="text/html")

    async def huge(self, request: Request) -> Response:
        """A page over the size limit, streamed; `length=1` declares its Content-Length up front."""
        size = _int_param(request, "bytes", oddities.HUGE_SIZE, 1024, 1 << 30)

        async def chunks() -> AsyncIterator[bytes]:
            for chunk in oddities.huge_chunks(size):
                yield chunk

        headers = {"Content-Length": str(size)} if request.query_params.get("length") == "1" else None
        return StreamingResponse(chunks(), headers=headers, media_type="text/html")

    async def headers(self, request: Request) -> Response:
        """Echoes what the client sent, for user-agent, header and cookie tests."""
        received: dict[str, str] = {}
        for name, value in request.headers.items():
            received[name] = f"{received[name]}, {value}" if name in received else value
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": received,
                "cookies": dict(request.cookies),
            }
        )

    async def set_cookies(self, request: Request) -> Response:
        """Sets every query parameter as a cookie, then sends the client to /headers to show them back."""
        response = RedirectResponse("/headers", 302)
        for name, value in request.query_params.items():
            response.set_cookie(name, value, path="/")
        return response

    async def status(self, request: Request) -> Response:
        code: int = request.path_params["code"]
        if not 200 <= code <= 599 or code in (204, 304):
            return html_response("Not found", "Status pages exist for 200–599 (not 204 or 304).", 404)
        return html_response(f"Status {code}", f"This page answers {code}.", code)

    async def gone(self, request: Request) -> Response:
        return html_response("Not found", "This page is gone.", 404)

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return JSONResponse({"reset": True})

    async def stats(self, request: Request) -> Response:
        return JSONResponse({"hits": dict(self.state.hits), "max_in_flight": self.state.max_in_flight})


async def _sleep_while_connected(request: Request, seconds: float) -> bool:
    """Sleep, but stop early (False) when the client hangs up, so a page closed mid-request (the browser
    tests' never-loading image) leaves no handler sleeping until the site shuts down."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if left > 0.5 and await request.is_disconnected():
            return False
        await asyncio.sleep(min(0.25, left))
    return True


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")
