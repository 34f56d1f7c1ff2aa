"""What the browser fetcher is told and what it returns: pool-wide options (the worker's settings), per-run
options (the bot's), and a rendered page with its artifacts. Free of Playwright imports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.engine.steps import PageWork

# Headless Chromium as root in a container: no sandbox (no user namespaces), no GPU, and none of the
# background traffic (component updates, sync, field trials) a scraper has no use for.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

Blockable = Literal["images", "fonts", "media", "trackers"]
Capture = Literal["screenshot", "har"]
SecretResolver = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class BrowserOptions:
    """One pool: one Chromium per worker process, shared by every run the process handles."""

    executable_path: str = "/usr/bin/chromium"
    contexts: int = 4
    """Browser contexts open at most (so pages rendered at once, at most)."""
    page_timeout: float = 30.0
    """Seconds one page may take, from navigation to the last step; a run may set its own."""
    allowlist: FetchAllowlist = field(default_factory=FetchAllowlist)
    launch_timeout: float = 30.0
    viewport: tuple[int, int] = (1280, 800)
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """One run's use of the pool: its pages share cookies and local storage (`storage_key`), so a login
    done on one page holds for the pages opened after it."""

    storage_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    user_agent: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent with requests to the host of the page being rendered only (never to third parties)."""
    cookies: Mapping[str, str] = field(default_factory=dict)
    """Set for the host of each page rendered."""
    block: frozenset[Blockable] = frozenset()
    capture: frozenset[Capture] = frozenset()
    page_timeout: float | None = None
    proxies: tuple[str, ...] = ()
    """The bot's own http(s) proxies: the run's pages leave through them in turn, one per connection."""
    secrets: SecretResolver | None = None
    """Resolves a `fill` step's secret name to its value; values are typed, never logged or returned."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """A debugging file a page produced; storing it is the caller's job."""

    kind: Literal["screenshot", "page_screenshot", "har"]
    content_type: str
    data: bytes
    node_id: str | None = None
    """The `screenshot` step that took it; None for the per-page captures the bot's settings ask for."""


@dataclass
class RenderedPage:
    """One page as the browser left it after the steps. `error` is set instead of raising, so the steps
    that did run still show their output."""

    url: str
    final_url: str | None = None
    status: int | None = None
    html: str | None = None
    work: PageWork = field(default_factory=lambda: PageWork([], [], [], {}))
    artifacts: list[Artifact] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    """Requests the page made that were refused (private addresses) or skipped (blocked resource types)."""
    notes: list[str] = field(default_factory=list)
    """What the browser handled on its own: dialogs dismissed, pop-ups closed, downloads refused."""
    error: EngineError | None = None
    attempts: int = 1
    navigation_seconds: float = 0.0
