"""When a failed request is worth repeating, and how long to wait: exponential backoff with full jitter,
never shorter than what the site asked for in Retry-After."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

# 501 Not Implemented and 505 HTTP Version Not Supported will not change by waiting.
_PERMANENT_SERVER_STATUSES = frozenset({501, 505})


def is_retryable_status(status: int) -> bool:
    """408 and 429 ask us to come back later; 5xx are the server's trouble, usually passing."""
    if status in (408, 425, 429):
        return True
    return status >= 500 and status not in _PERMANENT_SERVER_STATUSES


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, in either of its forms (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; a naive result means the zone was missing
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, *, base: float, maximum: float, rng: random.Random) -> float:
    """Delay before retry number `attempt` (0-based): uniform in [0, min(maximum, base·2^attempt)].

    Full jitter spreads the retries of many workers hitting the same failing site, which a fixed
    exponential schedule would synchronise.
    """
    ceiling = min(maximum, base * (2.0**attempt))
    return rng.uniform(0.0, ceiling)
