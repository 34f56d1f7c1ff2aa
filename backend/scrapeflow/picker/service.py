"""Fetch a page for the in-app picker as the bot would, and a resource it loads, through the guarded engine."""

from __future__ import annotations

import asyncio
import dataclasses

from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.fetchers import fetcher_for
from scrapeflow.bots.test_runs import BotRun, browser_session, load_bot_run
from scrapeflow.config import Settings
from scrapeflow.engine.browser.pool import BrowserPool
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.fetch import FetchedPage
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import Unprocessable
from scrapeflow.picker.links import resource_link
from scrapeflow.picker.neutralise import neutralise, rewrite_css
from scrapeflow.picker.schemas import PickerPage, PickerPageRequest

RESOURCE_MAX_BYTES = 5 * 1024 * 1024
RESOURCE_TYPES = (
    "image/",
    "text/css",
    "font/",
    "application/font",
    "application/x-font",
    "application/vnd.ms-fontobject",
)


async def load_page(
    session: AsyncSession,
    subject: AuthSubject,
    request: PickerPageRequest,
    *,
    settings: Settings,
    box: SecretBox,
    browser: BrowserPool | None,
) -> PickerPage:
    """The page at `request.url`, fetched as the bot fetches (or plainly), made inert for picking."""
    run = BotRun()
    if request.bot_id is not None:
        bot = await bots_service.get(session, subject, request.bot_id)
        plan = bots_service.compile_or_422(bot.workflow_json)
        run = await load_bot_run(session, subject, bot, plan, settings=settings, box=box)
    render = run.fetch.render if request.render == "auto" else request.render
    try:
        async with asyncio.timeout(settings.test_run_timeout_seconds):
            if render == "browser":
                page = await _rendered(run, request.url, settings, browser)
            else:
                page = await _fetched(run, request.url, settings)
    except TimeoutError:
        raise Unprocessable(
            f"The page took longer than {settings.test_run_timeout_seconds:g} s to load.", code="picker_timeout"
        ) from None
    except EngineError as error:
        raise Unprocessable(error.message, code=error.code.value.lower()) from None
    final_url, status, html, how = page
    title = LexborHTMLParser(html).css_first("title")
    return PickerPage(
        url=request.url,
        final_url=final_url,
        status=status,
        title=title.text(strip=True) if title is not None else None,
        render=how,
        html=neutralise(html, final_url, lambda target: resource_link(settings, target)),
    )


async def _fetched(run: BotRun, url: str, settings: Settings) -> tuple[str, int | None, str, str]:
    async with fetcher_for(settings, run.fetch, retries=1, backoff_base=0.5, backoff_max=2.0, **run.options) as fetcher:
        page = await fetcher.fetch(url)
    if "html" not in page.content_type and "xml" not in page.content_type:
        raise Unprocessable(f"{url} is not an HTML page ({page.content_type}).", code="not_html")
    return page.final_url, page.status, page.text, "http"


async def _rendered(
    run: BotRun, url: str, settings: Settings, browser: BrowserPool | None
) -> tuple[str, int | None, str, str]:
    if browser is None:
        raise Unprocessable("This server has no browser to render pages with.", code="no_browser")
    in_browser = dataclasses.replace(run, fetch=run.fetch.model_copy(update={"render": "browser"}))
    async with browser_session(browser, in_browser, settings) as tab:
        assert tab is not None  # rendering is "browser", so a session is opened
        rendered = await tab.render(url, ())
    if rendered.error is not None:
        raise rendered.error
    return rendered.final_url or url, rendered.status, rendered.html or "", "browser"


async def load_resource(settings: Settings, target: str) -> tuple[bytes, str]:
    """An image, stylesheet or font of a picked page (stylesheets with their own links rewritten)."""
    async with fetcher_for(
        settings, BotRun().fetch, retries=1, backoff_base=0.5, max_bytes=RESOURCE_MAX_BYTES
    ) as fetcher:
        page: FetchedPage = await fetcher.fetch(target, allow_binary=True)
    content_type = page.content_type or "application/octet-stream"
    if not content_type.startswith(RESOURCE_TYPES):
        raise EngineError(ErrorCode.NAVIGATION_ERROR, f"{target} is not an image, stylesheet or font.")
    if content_type.startswith("text/css"):
        css = rewrite_css(page.text, page.final_url, lambda link: resource_link(settings, link))
        return css.encode(), "text/css; charset=utf-8"
    return page.content, content_type
