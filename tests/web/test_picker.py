"""The in-app element picker inside the editor (no extension): the page opens inert in a sandboxed frame, a click
on one price proposes every price, and the selector lands in the field with its count and sample."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect
from selectolax.lexbor import LexborHTMLParser

from tests.conftest import SHOP_SIZE
from tests.site.catalog import Catalog
from tests.web.browser import axe

CATALOG = Catalog(size=SHOP_SIZE)


def test_the_in_app_picker_fills_the_item_selector(signed_in_page: Page, site_url: str) -> None:
    page = signed_in_page
    page.goto(f"/editor/new?start_url={site_url}/products")
    page.locator(".react-flow__node[data-id=start]").click()
    page.locator("nav[aria-label=Steps] button[data-node-type=extract]").click()  # added after Start, connected
    extract = page.locator(".react-flow__node[data-id^=extract]")
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    extract.click()

    page.get_by_role("button", name="Pick element for Item selector").click()
    dialog = page.get_by_role("dialog", name="Pick the repeating element")
    frame = page.frame_locator("iframe[title^='Page to pick from']")
    first_price = frame.locator(".product-card .price").first
    expect(first_price).to_have_text(CATALOG.products[0].price_text, timeout=15_000)
    axe(page)
    first_price.click()
    status = dialog.get_by_role("status")
    expect(status).to_contain_text("24 matches")
    dialog.get_by_role("button", name="Use this selection").click()
    expect(dialog).to_have_count(0)

    field = page.get_by_label("Item selector", exact=True)
    selector = field.input_value()
    assert selector
    expect(
        page.get_by_text(re.compile(r"24 matches; first: “" + re.escape(CATALOG.products[0].price_text)))
    ).to_be_visible()
    # The selector picked on the inert copy matches the same elements on the real page.
    real = LexborHTMLParser(httpx.get(f"{site_url}/products").text)
    assert [node.text(strip=True) for node in real.css(selector)] == [p.price_text for p in CATALOG.products[:24]]
