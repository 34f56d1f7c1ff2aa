"""Access tokens: short-lived HS256 JWTs with audience, issuer and expiry, checked strictly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from scrapeflow.kit.errors import Unauthorized
from scrapeflow.kit.time import utcnow

ALGORITHM = "HS256"
AUDIENCE = "scrapeflow:api"
ISSUER = "scrapeflow"


def create_access_token(user_id: uuid.UUID, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    expires_at: datetime


def decode_access_token(token: str, secret: str) -> AccessClaims:
    """Return the user and expiry, refusing `alg: none`, other keys, audiences, issuers and expired tokens."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require_exp": True, "require_sub": True, "require_aud": True},
        )
        if claims.get("typ") != "access":
            raise JWTError("not an access token")
        return AccessClaims(uuid.UUID(claims["sub"]), datetime.fromtimestamp(int(claims["exp"]), UTC))
    except (JWTError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise Unauthorized("The access token is invalid or has expired; sign in again.", code="invalid_token") from exc
