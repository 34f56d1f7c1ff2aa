"""A page standing in for the ScrapeFlow web app: it speaks the bridge protocol and records what it receives."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

BRIDGE = """
window.received = [];
window.addEventListener("message", (event) => {
  if (event.data && event.data.source === "scrapeflow-picker") {
    window.received.push({ origin: event.origin, data: event.data });
  }
});
window.bridgePost = (body) => {
  window.postMessage({ source: "scrapeflow-picker", version: 1, ...body }, location.origin);
};
"""

# Posts a well-formed START_SELECTION to the page that embeds it, from another origin.
FRAME = """<!doctype html><html><body><p>another origin</p><script>
parent.postMessage({source: "scrapeflow-picker", version: 1, type: "START_SELECTION",
  nonce: "0123456789abcdef0123", requestId: "frame-request-1", url: "%(url)s", mode: "single"}, "*");
</script></body></html>"""


def page(frame: str) -> str:
    iframe = f'<iframe title="another origin" src="{frame}"></iframe>' if frame else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ScrapeFlow editor</title></head>'
        f"<body><h1>Editor</h1><div id=frames></div><script>{BRIDGE}</script>{iframe}</body></html>"
    )


async def editor(request: Request) -> HTMLResponse:
    return HTMLResponse(page(request.query_params.get("frame", "")))


async def frame(request: Request) -> HTMLResponse:
    return HTMLResponse(FRAME % {"url": request.query_params.get("url", "")})


async def refresh(request: Request) -> JSONResponse:
    # Nobody is signed in to the stand-in: the popup must say so.
    return JSONResponse({"detail": "No refresh token; sign in again."}, status_code=401)


def create_web_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/", editor),
            Route("/editor/new", editor),
            Route("/frame", frame),
            Route("/api/v1/auth/refresh", refresh, methods=["POST"]),
        ]
    )
