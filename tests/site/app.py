"""The test site as an ASGI app: cached static documents plus the misbehaving endpoints, with request stats."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.site.behaviours import Behaviours, SiteState, html_response
from tests.site.catalog import DEFAULT_SEED, DEFAULT_SIZE, Catalog
from tests.site.documents import SiteDocuments
from tests.site.members import MembersArea
from tests.site.pages import render_message

DYNAMIC_PATHS = frozenset(
    ("/redirect-to", "/rate-limited", "/flaky", "/slow", "/huge", "/headers", "/cookies/set", "/gone")
) | frozenset(("/login", "/members", "/download.bin", "/js/private"))  # tests/site/members.py
DYNAMIC_PREFIXES = ("/redirect/", "/redirect-loop/", "/status/", "/members/")
NOT_FOUND_PAGE = render_message("Not found", "Nothing lives here.").encode()
MAX_ORIGINS = 16  # documents are cached per origin (absolute links differ); keep a few, drop the oldest


class SiteApp:
    """An ASGI app serving one catalogue; `state` holds the counters tests inspect and reset."""

    def __init__(self, catalog: Catalog, base_url: str | None = None) -> None:
        self.catalog, self.base_url = catalog, base_url
        self.state = SiteState()
        self._documents: dict[str, SiteDocuments] = {}
        behaviours = Behaviours(catalog, self.state)
        members = MembersArea(self.state)
        self.router = Starlette(
            routes=[
                Route("/redirect/{hops:int}", behaviours.redirect_chain),
                Route("/redirect-loop/{side}", behaviours.redirect_loop),
                Route("/redirect-to", behaviours.redirect_to),
                Route("/rate-limited", behaviours.rate_limited),
                Route("/flaky", behaviours.flaky),
                Route("/slow", behaviours.slow),
                Route("/huge", behaviours.huge),
                Route("/headers", behaviours.headers, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
                Route("/cookies/set", behaviours.set_cookies),
                Route("/status/{code:int}", behaviours.status),
                Route("/gone", behaviours.gone),
                Route("/login", members.login, methods=["GET", "POST"]),
                Route("/members", members.members),
                Route("/members/{number:int}", members.member_item),
                Route("/download.bin", members.download),
                Route("/js/private", members.private_resources),
                Route("/_site/reset", behaviours.reset, methods=["POST"]),
                Route("/_site/stats", behaviours.stats),
                Route("/{path:path}", self.not_found, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
            ]
        )

    def reset(self) -> None:
        """Forget rate-limit and flaky attempts and the request stats."""
        self.state.reset()

    def documents(self, origin: str) -> SiteDocuments:
        documents = self._documents.get(origin)
        if documents is None:
            if len(self._documents) >= MAX_ORIGINS:
                del self._documents[next(iter(self._documents))]
            documents = self._documents[origin] = SiteDocuments(self.catalog, origin)
        return documents

    async def not_found(self, request: Request) -> Response:
        return html_response("Not found", f"Nothing lives at {request.url.path}.", 404)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_site/"):
            await self.router(scope, receive, send)
            return
        state = self.state
        query = scope["query_string"].decode("latin-1")
        state.hits[f"{path}?{query}" if query else path] += 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if path in DYNAMIC_PATHS or path.startswith(DYNAMIC_PREFIXES) or scope["method"] not in ("GET", "HEAD"):
                await self.router(scope, receive, send)
            else:
                await self.send_document(scope, query, send)
        finally:
            state.in_flight -= 1

    async def send_document(self, scope: Scope, query: str, send: Send) -> None:
        """The hot path, in plain ASGI: a cached document (or a 304, or the 404 page) for a GET."""
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1") or "{}:{}".format(*scope["server"])
        origin = self.base_url or f"{scope['scheme']}://{host}"
        page = dict(parse_qsl(query)).get("page") if query else None
        document = self.documents(origin).get(scope["path"], page)
        if document is None:
            status, body, content_type, etag = 404, NOT_FOUND_PAGE, "text/html; charset=utf-8", b""
        elif headers.get(b"if-none-match", b"").decode("latin-1") == document.etag:
            status, body, content_type, etag = 304, b"", "", document.etag.encode()
        else:
            status, body, content_type, etag = 200, document.body, document.content_type, document.etag.encode()
        response_headers = [] if status == 304 else [(b"content-length", str(len(body)).encode())]
        if content_type:
            response_headers.append((b"content-type", content_type.encode()))
        if etag:
            response_headers.append((b"etag", etag))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


def create_site(
    size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, theme: str = "classic", base_url: str | None = None
) -> SiteApp:
    """The test site for a catalogue of `size` products. Absolute links use `base_url`, else the request's origin."""
    return SiteApp(Catalog(size=size, seed=seed, theme=theme), base_url)
