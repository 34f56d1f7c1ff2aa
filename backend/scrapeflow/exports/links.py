"""Signed, expiring download links to a delivery's rows (webhooks over EXPORT_LINK_ABOVE_ROWS rows).

A link is `<public url>/api/v1/exports/downloads/<delivery id>.<expiry>.<signature>`; the signature is an
HMAC-SHA256 with a key derived from SECRET_KEY, so a link cannot be forged, extended or pointed elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

from scrapeflow.config import Settings
from scrapeflow.kit.crypto import same_digest
from scrapeflow.kit.errors import NotFound


def _signature(secret: str, payload: str) -> str:
    key = hashlib.sha256(b"scrapeflow-export-links:" + secret.encode()).digest()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(settings: Settings, delivery_id: uuid.UUID, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + settings.export_link_ttl_seconds)
    payload = f"{delivery_id}.{expires}"
    return f"{payload}.{_signature(settings.jwt_secret, payload)}"


def url(settings: Settings, delivery_id: uuid.UUID) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/exports/downloads/{token(settings, delivery_id)}"


def delivery_of(settings: Settings, value: str, now: float | None = None) -> uuid.UUID:
    """The delivery a link is for; 404 for a link that is malformed, forged or expired (all look alike)."""
    gone = NotFound("This download link is invalid or has expired; ask for the delivery to be sent again.")
    delivery, _, rest = value.partition(".")
    expires, _, signature = rest.partition(".")
    if not expires.isdigit() or not same_digest(signature, _signature(settings.jwt_secret, f"{delivery}.{expires}")):
        raise gone
    if int(expires) < (now if now is not None else time.time()):
        raise gone
    try:
        return uuid.UUID(delivery)
    except ValueError:
        raise gone from None
