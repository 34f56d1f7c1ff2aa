"""Builds the extension for a stand-in web app on a free port and loads it, unpacked, into headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, Route, sync_playwright

from scrapeflow.engine.browser.options import CHROMIUM_ARGS
from tests.extension.webapp import create_web_app
from tests.site.server import serve_site

EXTENSION = Path(__file__).resolve().parents[2] / "chrome-extension"
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Build:
    dist: Path
    zip: Path
    web_url: str


@pytest.fixture(scope="package")
def web_app() -> Iterator[str]:
    """The configured web app's origin (the page standing in for the editor)."""
    with serve_site(create_web_app()) as url:
        yield url


@pytest.fixture(scope="package")
def other_web_app() -> Iterator[str]:
    """The same page on another origin: not the web app this build trusts."""
    with serve_site(create_web_app()) as url:
        yield url


@pytest.fixture(scope="package")
def extension(web_app: str, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`npm run build` for the stand-in web app; 127.0.0.1 is granted at install since no one clicks a prompt."""
    if shutil.which("npm") is None:
        raise RuntimeError("Node.js 20 or later (npm) is needed to build the extension")
    if not (EXTENSION / "node_modules").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=EXTENSION, check=True)  # noqa: S607
    out = tmp_path_factory.mktemp("extension") / "dist"
    env = os.environ | {
        "SCRAPEFLOW_WEB_URL": web_app,
        "SCRAPEFLOW_EXTENSION_HOST_PERMISSIONS": "http://127.0.0.1/*",
        "SCRAPEFLOW_EXTENSION_OUT": str(out),
    }
    subprocess.run(["npm", "run", "--silent", "build"], cwd=EXTENSION, env=env, check=True)  # noqa: S607
    return Build(dist=out, zip=out.parent / "scrapeflow-extension.zip", web_url=web_app)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def _outside(route: Route) -> None:
    # No internet here: the hostile page's redirects and ad frame get a stand-in answer (204 keeps the page).
    if route.request.url.startswith("https://ads.example.com/"):
        route.fulfill(status=200, content_type="text/html", body="<p>ad</p>")
    else:
        route.fulfill(status=204)


@pytest.fixture
def browser(playwright: Playwright, extension: Build, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with the unpacked extension, its service worker running."""
    dist = str(extension.dist)
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            f"--disable-extensions-except={dist}",
            f"--load-extension={dist}",
            *CHROMIUM_ARGS,
        ],
    )
    try:
        context.route("https://**/*", _outside)
        if not any(worker.url.startswith("chrome-extension://") for worker in context.service_workers):
            context.wait_for_event("serviceworker", timeout=10_000)
        yield context
    finally:
        context.close()
