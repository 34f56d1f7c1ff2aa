"""The extension end to end: the editor asks for a pick, a person picks on the shop, the editor gets selectors."""

from __future__ import annotations

import base64
import json
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.conftest import SHOP_SIZE
from tests.extension.conftest import Build
from tests.site.catalog import PER_PAGE, Catalog

CATALOG = Catalog(size=SHOP_SIZE)
NONCE = "n0nce-for-this-pick-0001"
QUIET_MS = 1500  # how long "nothing happens" is watched for

pytestmark = pytest.mark.timeout(180)


def open_editor(context: BrowserContext, url: str) -> Page:
    # A persistent context starts with one blank tab: the editor takes it, so tab counts mean what they say.
    blank = [page for page in context.pages if page.url == "about:blank"]
    page = blank[0] if blank else context.new_page()
    page.goto(url)
    page.wait_for_function("document.documentElement.dataset.scrapeflowExtension !== undefined")
    return page


def start_selection(editor: Page, url: str, mode: str, nonce: str = NONCE, request_id: str = "request-0001") -> None:
    body = {"type": "START_SELECTION", "nonce": nonce, "requestId": request_id, "url": url, "mode": mode}
    editor.evaluate("(body) => window.bridgePost(body)", body)


def received(editor: Page, kind: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = editor.evaluate("window.received")
    return [message for message in messages if message["data"]["type"] == kind]


def wait_for(editor: Page, kind: str, count: int = 1) -> dict[str, Any]:
    editor.wait_for_function(
        "([kind, count]) => window.received.filter((m) => m.data.type === kind).length >= count",
        arg=[kind, count],
        timeout=15_000,
    )
    return received(editor, kind)[count - 1]


def picker_page(context: BrowserContext, url: str) -> Page:
    """The tab the extension opened (or reused) for `url`, once the picker overlay is on it."""
    for _ in range(100):
        for page in context.pages:
            if page.url == url:
                page.wait_for_selector("scrapeflow-picker", state="attached", timeout=10_000)
                return page
        context.pages[0].wait_for_timeout(100)
    raise AssertionError(f"no tab opened for {url}")


def matches(page: Page, css: str, xpath: str) -> tuple[list[str], list[str]]:
    """The text of what the CSS selector and the XPath select on the page."""
    by_css: list[str] = page.evaluate(
        "(css) => Array.from(document.querySelectorAll(css), (e) => e.textContent.trim())", css
    )
    by_xpath: list[str] = page.evaluate(
        """(xpath) => {
            const found = document.evaluate(xpath, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
            return Array.from({length: found.snapshotLength}, (_, i) => found.snapshotItem(i).textContent.trim());
        }""",
        xpath,
    )
    return by_css, by_xpath


def test_the_build_is_a_web_store_zip(extension: Build) -> None:
    with zipfile.ZipFile(extension.zip) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"manifest.json", "background.js", "bridge.js", "picker.js", "popup.html", "popup.js"} <= names
    assert "icons/icon-128.png" in names
    assert manifest["manifest_version"] == 3
    assert sorted(manifest["permissions"]) == ["activeTab", "scripting", "storage"]
    assert manifest["content_scripts"][0]["matches"] == [f"{extension.web_url}/*"]


def test_the_editor_gets_a_title_and_the_list_of_prices(browser: BrowserContext, web_app: str, shop: str) -> None:
    editor = open_editor(browser, f"{web_app}/editor/new")
    editor.evaluate("window.bridgePost({type: 'PING', nonce: 'ping-nonce-0001'})")
    present = wait_for(editor, "EXTENSION_PRESENT")
    assert present["origin"] == web_app
    assert present["data"]["nonce"] == "ping-nonce-0001"

    url = f"{shop}/products?page=1"
    first = CATALOG.page(1, None)[0]

    start_selection(editor, url, "single")
    shop_page = picker_page(browser, url)
    title = shop_page.locator(".product-card").first.locator(".product-title a")
    title.hover()
    title.click()
    shop_page.keyboard.press("Enter")
    message = wait_for(editor, "SELECTION_RESULT")
    assert message["origin"] == web_app
    data = message["data"]
    assert data["nonce"] == NONCE
    assert data["requestId"] == "request-0001"
    assert data["url"] == url
    result = data["result"]
    assert result["count"] == 1
    assert result["sample"]["value"] == first.title
    assert matches(shop_page, result["css"], result["xpath"]) == ([first.title], [first.title])
    # The click was the picker's: the link did not navigate.
    assert shop_page.url == url

    start_selection(editor, url, "list", nonce="n0nce-for-the-list-0002", request_id="request-0002")
    shop_page = picker_page(browser, url)
    price = shop_page.locator(".product-card").first.locator(".price")
    price.hover()
    price.click()
    shop_page.keyboard.press("Enter")
    data = wait_for(editor, "SELECTION_RESULT", 2)["data"]
    assert data["nonce"] == "n0nce-for-the-list-0002"
    result = data["result"]
    prices = [product.price_text for product in CATALOG.page(1, None)]
    assert result["count"] == PER_PAGE
    assert result["sample"]["value"] == first.price_text
    assert matches(shop_page, result["css"], result["xpath"]) == (prices, prices)
    assert len(browser.pages) == 2  # the shop's tab was reused, not opened twice


def test_escape_cancels_the_pick(browser: BrowserContext, web_app: str, shop: str) -> None:
    editor = open_editor(browser, f"{web_app}/editor/new")
    url = f"{shop}/products?page=2"
    start_selection(editor, url, "single")
    shop_page = picker_page(browser, url)
    shop_page.locator(".price").first.hover()
    shop_page.keyboard.press("Escape")
    data = wait_for(editor, "SELECTION_CANCELLED")["data"]
    assert (data["nonce"], data["reason"]) == (NONCE, "user")
    assert shop_page.locator("scrapeflow-picker").count() == 0


def test_a_hostile_page_can_still_be_picked(browser: BrowserContext, web_app: str, shop: str) -> None:
    editor = open_editor(browser, f"{web_app}/editor/new")
    url = f"{shop}/hostile.html"
    first = CATALOG.products[0]
    start_selection(editor, url, "single")
    page = picker_page(browser, url)
    # Shadow content, SVG and a cross-origin frame under the pointer do not break the picker.
    page.locator("p.inside").hover()
    page.locator("svg.badge").hover()
    page.locator("iframe").hover()
    price = page.locator(".deal .price")
    price.hover()
    price.click()
    page.keyboard.press("Enter")
    result = wait_for(editor, "SELECTION_RESULT")["data"]["result"]
    assert result["sample"]["value"] == first.price_text
    assert matches(page, result["css"], result["xpath"]) == ([first.price_text], [first.price_text])
    assert page.locator("h1").inner_text() == "Deals of the day"


def test_requests_from_elsewhere_are_ignored(
    browser: BrowserContext, web_app: str, other_web_app: str, shop: str
) -> None:
    url = f"{shop}/products?page=3"
    # A frame of another origin inside the web app posts a well-formed request to it.
    editor = open_editor(browser, f"{web_app}/editor/new?frame={other_web_app}/frame?url={url}")
    editor.frame_locator("iframe").locator("p").wait_for()
    # The page itself, with a malformed nonce, and with a file URL.
    start_selection(editor, url, "single", nonce="bad nonce!")
    start_selection(editor, url, "single", nonce="short")
    start_selection(editor, "file:///etc/passwd", "single")
    editor.wait_for_timeout(QUIET_MS)
    assert [page.url for page in browser.pages] == [editor.url]
    assert received(editor, "SELECTION_CANCELLED") == []

    # A page like the web app on an origin the build does not trust gets no bridge at all.
    impostor = browser.new_page()
    impostor.goto(f"{other_web_app}/editor/new")
    impostor.evaluate("window.bridgePost({type: 'PING', nonce: 'ping-nonce-0002'})")
    start_selection(impostor, url, "single")
    impostor.wait_for_timeout(QUIET_MS)
    assert impostor.evaluate("document.documentElement.dataset.scrapeflowExtension") is None
    assert received(impostor, "EXTENSION_PRESENT") == []
    assert len(browser.pages) == 2


def decode_fields(value: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def test_the_popup_turns_a_picked_list_into_a_new_bot(browser: BrowserContext, web_app: str, shop: str) -> None:
    url = f"{shop}/products?page=1"
    shop_page = browser.pages[0]
    shop_page.goto(url)
    worker = next(w for w in browser.service_workers if w.url.startswith("chrome-extension://"))
    popup_url = worker.url.rsplit("/", 1)[0] + "/popup.html"
    popup = browser.new_page()
    popup.goto(popup_url)
    popup.get_by_text("Not signed in.").wait_for()
    # What the popup's "Pick a list" sends for the tab it was opened on (a test cannot open the real popup).
    popup.evaluate(
        """async (url) => {
            const [tab] = await chrome.tabs.query({ url });
            await chrome.runtime.sendMessage({ kind: "popup:pick", tabId: tab.id, mode: "list" });
        }""",
        url,
    )
    shop_page.wait_for_selector("scrapeflow-picker", state="attached")
    price = shop_page.locator(".product-card").first.locator(".price")
    price.hover()
    price.click()
    shop_page.keyboard.press("Enter")
    popup.wait_for_function("chrome.storage.local.get('draft').then((s) => s.draft !== undefined)")
    popup.reload()
    popup.get_by_label("Field 1 name").fill("price")
    popup.get_by_label("Field 1 name").press("Tab")
    with browser.expect_page() as opened:
        popup.get_by_role("button", name="Create a bot from this page").click()
    editor = opened.value
    editor.wait_for_load_state()
    link = urlsplit(editor.url)
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{web_app}/editor/new"
    assert query["start_url"] == url
    assert query["mode"] == "list"
    fields = decode_fields(query["fields"])
    assert [field["name"] for field in fields] == ["price"]
    items = shop_page.locator(query["item_selector"])
    assert items.count() == PER_PAGE
    prices = [product.price_text for product in CATALOG.page(1, None)]
    assert [items.nth(i).locator(fields[0]["selector"]).inner_text() for i in range(PER_PAGE)] == prices
