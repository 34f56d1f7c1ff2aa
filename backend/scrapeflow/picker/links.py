"""Signed, expiring links through which a neutralised page loads its images, stylesheets and fonts.

The iframe's requests carry no bearer token, so each resource URL carries its own proof instead: an
HMAC-SHA256 (key derived from JWT_SECRET) over the target URL and an expiry. A link can't be pointed at another
address or extended, and the fetch behind it goes through the same SSRF guard as every other fetch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

from scrapeflow.config import Settings
from scrapeflow.kit.crypto import same_digest
from scrapeflow.kit.errors import NotFound

RESOURCE_PATH = "/api/v1/picker/resource"
TTL_SECONDS = 3600
"""Long enough for a picking session; a page opened again gets fresh links."""


def _signature(secret: str, target: str, expires: int) -> str:
    key = hashlib.sha256(b"scrapeflow-picker-resources:" + secret.encode()).digest()
    digest = hmac.new(key, f"{expires}\n{target}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def resource_link(settings: Settings, target: str, now: float | None = None) -> str:
    """A path on the web app's own origin (the iframe's origin) that serves `target` through the API."""
    expires = int((now if now is not None else time.time()) + TTL_SECONDS)
    query = urlencode(
        {"url": target, "expires": expires, "signature": _signature(settings.jwt_secret, target, expires)}
    )
    return f"{RESOURCE_PATH}?{query}"


def verify(settings: Settings, target: str, expires: int, signature: str, now: float | None = None) -> None:
    """404 for a link that is forged, altered or expired (all look alike)."""
    fresh = expires >= (now if now is not None else time.time())
    if not fresh or not same_digest(signature, _signature(settings.jwt_secret, target, expires)):
        raise NotFound("This resource link is invalid or has expired; open the page in the picker again.")
