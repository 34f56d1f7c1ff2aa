"""Stripe for the tests: `localstripe` (from PyPI) in its own process, behind a small front that adds the two
endpoints localstripe 1.15 lacks (it answers 404 for both): Checkout Sessions and Customer Portal sessions.
Everything else is localstripe's."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.site.server import serve_site


@dataclass
class StripeFront:
    """What the front recorded: Checkout and portal sessions made (form fields as Stripe's SDK sends them)."""

    upstream: str
    checkouts: list[dict[str, str]] = field(default_factory=list)
    portals: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def checkout(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            if form.get("mode") != "subscription" or "line_items[0][price]" not in form:
                return _error("mode=subscription and line_items[0][price] are required")
            async with httpx.AsyncClient() as client:  # the customer and the price must exist, as on Stripe
                for path in (f"/v1/customers/{form['customer']}", f"/v1/plans/{form['line_items[0][price]']}"):
                    found = await client.get(self.upstream + path, headers=_auth(request))
                    if found.status_code != 200:
                        return JSONResponse(found.json(), status_code=found.status_code)
            self.checkouts.append(form)
            session_id = f"cs_test_{secrets.token_hex(12)}"
            return JSONResponse(
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": "subscription",
                    "customer": form["customer"],
                    "client_reference_id": form.get("client_reference_id"),
                    "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                }
            )

        async def portal(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            self.portals.append(form)
            return JSONResponse(
                {
                    "id": f"bps_{secrets.token_hex(8)}",
                    "object": "billing_portal.session",
                    "url": "https://billing.stripe.com/p/session/test",
                }
            )

        async def forward(request: Request) -> Response:
            async with httpx.AsyncClient() as client:
                answer = await client.request(
                    request.method,
                    self.upstream + request.url.path,
                    params=request.query_params,
                    content=await request.body(),
                    headers={key: value for key, value in request.headers.items() if key.lower() != "host"},
                )
            return Response(answer.content, status_code=answer.status_code, media_type="application/json")

        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", checkout, methods=["POST"]),
                Route("/v1/billing_portal/sessions", portal, methods=["POST"]),
                Route("/{path:path}", forward, methods=["GET", "POST", "DELETE"]),
            ]
        )


def _auth(request: Request) -> dict[str, str]:
    return {"Authorization": request.headers.get("authorization", "")}


def _error(message: str) -> Response:
    return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, status_code=400)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def run_stripe(workdir: Path) -> Iterator[tuple[str, StripeFront]]:
    """localstripe on a free port (its state in `workdir`), and the front; yields the front's base URL."""
    port = _free_port()
    log = (workdir / "localstripe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        upstream = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(upstream + "/v1/customers", headers={"Authorization": "Bearer sk_test_x"}, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        front = StripeFront(upstream)
        with serve_site(front.app()) as base_url:
            yield base_url, front
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def signature(payload: bytes, secret: str, at: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends: `t=<time>,v1=HMAC-SHA256(secret, "<time>.<payload>")`."""
    at = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event(kind: str, obj: dict[str, Any], created: int, event_id: str | None = None) -> bytes:
    body = {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "type": kind,
        "created": created,
        "api_version": "2025-01-27",
        "data": {"object": obj},
    }
    return json.dumps(body).encode()
