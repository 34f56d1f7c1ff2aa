"""Clock helpers: every timestamp in ScrapeFlow is timezone-aware UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
