"""How a bot fetches: robots.txt, user agent, and the headers, cookies and proxies it sends.

Headers, cookies and proxies can carry credentials (session cookies, API tokens, proxy
passwords), so they are stored encrypted and never returned: responses show their names only.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.schemas import InputSchema, Schema

HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"
_FORBIDDEN_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "upgrade"}


def _proxy(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not a proxy address; write it like http://user:password@proxy.example:8080.")
    return url.strip()


def _headers(headers: dict[str, str]) -> dict[str, str]:
    bad = sorted(name for name in headers if name.lower() in _FORBIDDEN_HEADERS)
    if bad:
        raise ValueError(f"These headers are set by ScrapeFlow itself and cannot be changed: {', '.join(bad)}.")
    return headers


Render = Annotated[
    Literal["auto", "http", "browser"],
    Field(
        description="auto: HTTP, switching to the browser when a step needs it or selectors only match after rendering."
    ),
]
FetcherName = Annotated[
    Literal["builtin", "firecrawl"], Field(description="Fetch through ScrapeFlow's engine or Firecrawl.")
]
Blockable = Literal["images", "fonts", "media", "trackers"]
Capture = Literal["screenshot", "har"]
HeaderValue = Annotated[str, Field(max_length=8192)]
Headers = Annotated[dict[Annotated[str, Field(pattern=HEADER_NAME)], HeaderValue], AfterValidator(_headers)]
Proxy = Annotated[str, AfterValidator(_proxy), Field(max_length=2048)]


class FetchSettingsInput(InputSchema):
    """Fields left out keep their stored value; send `{}` or `[]` to clear one."""

    respect_robots: bool | None = Field(default=None, description="Honour robots.txt (on unless switched off).")
    user_agent: str | None = Field(default=None, max_length=500)
    headers: Headers | None = Field(default=None, max_length=50)
    cookies: dict[Annotated[str, Field(pattern=HEADER_NAME)], HeaderValue] | None = Field(default=None, max_length=50)
    proxies: list[Proxy] | None = Field(default=None, max_length=100, description="Used in turn, one per request.")
    render: Render | None = None
    fetcher: FetcherName | None = None
    block: list[Blockable] | None = Field(default=None, max_length=4)
    capture: list[Capture] | None = Field(default=None, max_length=2)
    page_timeout_seconds: int | None = Field(default=None, ge=1, le=300)


class FetchSettings(Schema):
    """What a bot's fetch settings look like from outside: secret values are never shown."""

    respect_robots: bool = True
    user_agent: str | None = None
    header_names: list[str] = Field(default_factory=list)
    cookie_names: list[str] = Field(default_factory=list)
    proxy_hosts: list[str] = Field(default_factory=list, description="Proxies without their credentials.")
    render: Render = "auto"
    fetcher: FetcherName = "builtin"
    block: list[Blockable] = Field(default_factory=list, description="Browser requests not made (faster pages).")
    capture: list[Capture] = Field(default_factory=list, description="Debugging artifacts kept per page.")
    page_timeout_seconds: int | None = None


def host_port(proxy: str) -> str:
    """A proxy as shown to people: host and port, never its credentials."""
    parts = urlsplit(proxy)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _sealed(stored: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    sealed = stored.get("sealed")
    return dict(json.loads(box.decrypt(sealed))) if sealed else {"headers": {}, "cookies": {}, "proxies": []}


def merge(stored: dict[str, Any], update: FetchSettingsInput, box: SecretBox) -> dict[str, Any]:
    """The bot's new `settings` document: public values in clear, secret ones sealed."""
    secret = _sealed(stored, box)
    for name in ("headers", "cookies", "proxies"):
        value = getattr(update, name)
        if value is not None:
            secret[name] = value
    public = FetchSettings.model_validate(stored.get("fetch", {}))
    if update.respect_robots is not None:
        public.respect_robots = update.respect_robots
    if "user_agent" in update.model_fields_set:
        public.user_agent = update.user_agent
    defaults = FetchSettings()
    for name in ("render", "fetcher", "block", "capture", "page_timeout_seconds"):
        if name in update.model_fields_set:
            value = getattr(update, name)
            setattr(public, name, getattr(defaults, name) if value is None else value)
    public.header_names = sorted(secret["headers"])
    public.cookie_names = sorted(secret["cookies"])
    public.proxy_hosts = [host_port(proxy) for proxy in secret["proxies"]]
    has_secret = any(secret[name] for name in ("headers", "cookies", "proxies"))
    return {**stored, "fetch": public.model_dump(), "sealed": box.encrypt(json.dumps(secret)) if has_secret else None}


def public_view(stored: dict[str, Any]) -> FetchSettings:
    return FetchSettings.model_validate(stored.get("fetch", {}))


def fetch_overrides(stored: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """Keyword arguments for the engine's FetchOptions."""
    public = public_view(stored)
    secret = _sealed(stored, box)
    overrides: dict[str, Any] = {
        "respect_robots": public.respect_robots,
        "headers": secret["headers"],
        "cookies": secret["cookies"],
        "proxies": tuple(secret["proxies"]),
    }
    if public.user_agent:
        overrides["user_agent"] = public.user_agent
    return overrides
