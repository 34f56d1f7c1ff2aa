"""Per-domain politeness shared by every worker process in single-machine mode (scale-out keeps it in Redis).

These rows belong to no organization on purpose: a site's limits hold for all tenants together.
"""

from __future__ import annotations

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from scrapeflow.db import Base


class DomainSlot(Base):
    """One request in flight to a domain. Released when the request ends, or reclaimed once `expires_at` has
    passed, so the slots of a worker that died mid-request come back."""

    __tablename__ = "domain_slots"
    __table_args__ = (Index(None, "domain", "expires_at"),)

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[float] = mapped_column(Double)
    """Seconds since the epoch, like every time in these tables."""


class DomainPacing(Base):
    """How far apart requests to a domain start, and when the next one may."""

    __tablename__ = "domain_pacing"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_start: Mapped[float] = mapped_column(Double)
    """The earliest start the next request may reserve."""
    delay: Mapped[float] = mapped_column(Double)
    """The current (adaptive) spacing between request starts, in seconds."""
    crawl_delay: Mapped[float] = mapped_column(Double)
    """The domain's robots.txt Crawl-delay, as last read by any worker."""
    pause_until: Mapped[float] = mapped_column(Double)
    """Set by a Retry-After: requests already reserved wait until then too."""
