"""The end-to-end harness: a fresh database, the real API, a real worker (embedded broker, as `scrapeflow run`)
and the web app's production build on free ports, driven by Chromium through Playwright.

Fixtures for tests: `web_url`, `api_url`, `site_url` (the local test shop), `page` (fails the test on console
errors; `console_errors` lets a test drop the ones it expects), `account` and `signed_in_page` (a fresh user,
signed in through the web app so the refresh cookie is set in the browser). Helpers: `tests.web.browser.axe`
and `tests.web.browser.screenshot`. Tests here are plain functions (Playwright's sync API): the servers and the
browser live as long as this package's tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from scrapeflow.config import Settings
from scrapeflow.engine.browser.options import CHROMIUM_ARGS
from tests.conftest import make_settings, migrate
from tests.web.services import Servers, ensure_web_build, free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="package")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("web")
    settings = make_settings(
        tmp,
        f"sqlite:///{(tmp / 'scrapeflow.db').as_posix()}",
        fetch_allowlist="127.0.0.1",
        rate_limit_auth_per_minute=1000,  # every test signs a fresh person up from the same address
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        migrate(settings, monkeypatch)
    return settings


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    values = {
        "ENVIRONMENT": "test",
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": "",
        "SECRET_KEY": settings.secret_key,
        "FETCH_ALLOWLIST": settings.fetch_allowlist,
        "RATE_LIMIT_AUTH_PER_MINUTE": str(settings.rate_limit_auth_per_minute),
        "LOG_LEVEL": "INFO",
        **extra,
    }
    return {**os.environ, **values}


@pytest.fixture(scope="package")
def servers(web_settings: Settings) -> Iterator[Servers]:
    ensure_web_build()
    logs = web_settings.data_dir / "server-logs"
    logs.mkdir()
    running = Servers(logs)
    yield running
    running.stop_all()


@pytest.fixture(scope="package")
def web_port() -> int:
    return free_port()


@pytest.fixture(scope="package")
def api_url(servers: Servers, web_settings: Settings, web_port: int) -> str:
    web_origin = f"http://127.0.0.1:{web_port}"
    env = environment(web_settings, WEB_URL=web_origin, CORS_ORIGINS=web_origin, WEB_PORT=str(web_port))
    url = servers.api(free_port(), env)
    servers.worker(env)
    return url


@pytest.fixture(scope="package")
def web_url(servers: Servers, api_url: str, web_port: int) -> str:
    return servers.web(web_port, api_url)


@pytest.fixture(scope="session")
def site_url(shop: str) -> str:
    return shop


@pytest.fixture(scope="package")
def browser(web_url: str) -> Iterator[Browser]:
    """Started after the servers (their set-up runs asyncio, which Playwright's sync API forbids while it runs)
    and stopped when this package's tests end, so the rest of the suite's async tests run as usual."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """The page's console errors and uncaught exceptions; the test fails if any is left at its end."""
    return []


@pytest.fixture
def page(browser: Browser, web_url: str, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=web_url, viewport={"width": 1280, "height": 800})
    opened = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield opened
    context.close()
    assert console_errors == [], "the page logged errors:\n" + "\n".join(console_errors)


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@pytest.fixture
def account(api_url: str) -> Account:
    """A fresh person (with their personal organization), registered straight at the API."""
    email = f"person-{uuid.uuid4().hex[:10]}@example.com"
    registered = httpx.post(f"{api_url}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    login = httpx.post(f"{api_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Account(email, PASSWORD, login.json()["access_token"])


@pytest.fixture
def signed_in_page(page: Page, account: Account, web_url: str) -> Page:
    """`page` signed in as `account`: signing in through the web app sets the refresh cookie in the browser, from
    which every page behind sign-in restores the session."""
    login = page.context.request.post(
        f"{web_url}/api/v1/auth/login", data={"email": account.email, "password": account.password}
    )
    assert login.status == 200, login.text()
    return page
