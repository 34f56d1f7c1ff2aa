"""A person who has never written code, end to end in Chromium against the real API and worker: sign up, build a
bot by dragging steps onto the canvas, see a problem and fix it, test it on one page, save, run it and watch it,
read the rows and download them, schedule it, and make an API key that really opens the API. The main screens
are checked with axe and photographed for the README (docs/screenshots/)."""

from __future__ import annotations

import csv
import io
import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import SHOP_SIZE
from tests.site.catalog import Catalog
from tests.web.browser import axe, screenshot
from tests.web.conftest import PASSWORD

CATALOG = Catalog(size=SHOP_SIZE)
FIRST_PAGE = CATALOG.products[:24]  # the shop's first list page
BOT_NAME = "Shop products"


def sign_up(page: Page) -> str:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/")
    screenshot(page, "landing")
    page.get_by_role("link", name="Pricing").first.click()
    expect(page.get_by_role("heading", name=re.compile("pricing|plans", re.I)).first).to_be_visible()
    screenshot(page, "pricing")
    page.goto("/register")
    page.get_by_label("Name").fill("Ada")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    axe(page)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/bots")
    expect(page.get_by_text("Create your first bot")).to_be_visible()
    axe(page)
    return email


def build_bot(page: Page, site_url: str) -> str:
    """The editor: name, start URL, an Extract step dragged in (unconnected: a problem), then connected."""
    page.get_by_role("link", name="New bot").first.click()
    page.wait_for_url("**/editor/new**")
    page.get_by_label("Bot name").fill(BOT_NAME)
    page.get_by_label("Start URL").fill(f"{site_url}/products")
    page.locator("nav[aria-label=Steps] button[data-node-type=extract]").drag_to(
        page.locator(".react-flow__pane"), target_position={"x": 330, "y": 560}
    )
    steps = page.locator(".react-flow__node")
    expect(steps).to_have_count(2)
    extract = page.locator(".react-flow__node[data-id^=extract]")
    # Dropped on its own, the step would never run: the node and the checklist say so, and Save waits.
    expect(extract).to_contain_text("not connected to Start")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_disabled()
    expect(save).to_have_accessible_description(re.compile("not connected"))
    page.locator(".react-flow__pane").click(position={"x": 40, "y": 40})  # nothing selected: the checklist
    expect(page.get_by_role("list", name="Problems to fix")).to_contain_text("not connected")

    page.locator(".react-flow__node[data-id=start] .react-flow__handle.source").drag_to(
        extract.locator(".react-flow__handle.target")
    )
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(page.get_by_text("Ready to save")).to_be_visible()
    expect(extract).not_to_contain_text("not connected")
    expect(save).to_be_enabled()

    extract.click()
    expect(page.get_by_label("Item selector", exact=True)).to_have_value(".product-card")
    page.get_by_role("button", name="Test run").click()
    results = page.get_by_role("region", name=re.compile("Test run results"))
    expect(results).to_contain_text("24 rows", timeout=30_000)
    expect(results).to_contain_text(FIRST_PAGE[0].title)
    screenshot(page, "editor")

    save.click()
    page.wait_for_url(re.compile(r".*/editor/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Unsaved changes")).to_have_count(0)
    return page.url.rsplit("/", 1)[1]


def run_and_read_rows(page: Page) -> None:
    """Run now from the editor, follow it live, then the execution's rows and a CSV download."""
    page.get_by_role("button", name="Run now", exact=True).click()
    expect(page.get_by_text("Run succeeded")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("24 rows")).to_be_visible()
    page.get_by_role("link", name="Open the execution").click()
    page.wait_for_url(re.compile(r".*/executions/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Succeeded").first).to_be_visible()
    grid = page.get_by_role("tabpanel", name="Rows")
    for product in FIRST_PAGE[:3]:
        expect(grid).to_contain_text(product.title)
    expect(grid.get_by_text("New", exact=True)).to_have_count(24)
    axe(page)
    screenshot(page, "execution")

    page.get_by_role("button", name="Download").click()
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [row["title"] for row in rows] == [product.title for product in FIRST_PAGE]
    assert {"title", "price", "url"} <= set(rows[0])


def schedule(page: Page) -> None:
    page.get_by_role("link", name="Schedules").click()
    page.wait_for_url("**/schedules")
    page.get_by_role("button", name="New schedule").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Bot").select_option(label=BOT_NAME)
    dialog.get_by_label("Repeat").select_option(label="Every weekday (Mon–Fri) at…")
    expect(dialog.get_by_role("list", name="Next 5 runs").get_by_role("listitem")).to_have_count(5)
    dialog.get_by_role("button", name="Create schedule").click()
    expect(dialog).to_have_count(0)
    table = page.get_by_role("table", name="Schedules")
    expect(table).to_contain_text(BOT_NAME)
    expect(table).to_contain_text(re.compile("weekday|Monday through Friday", re.I))
    axe(page)
    screenshot(page, "schedules")
    page.goto("/bots")
    listed = page.get_by_role("row", name=re.compile(BOT_NAME))
    expect(listed).to_contain_text("Succeeded")
    expect(listed).not_to_contain_text("Not scheduled")
    screenshot(page, "bots")


def create_api_key(page: Page, api_url: str) -> None:
    page.goto("/settings/api-keys")
    page.get_by_role("button", name="Create API key").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Key name").fill("Reporting")
    dialog.get_by_role("button", name="Create key").click()
    secret_dialog = page.get_by_role("dialog", name="Your new API key")
    secret = secret_dialog.locator("code").inner_text().strip()
    assert secret.startswith("sf_")
    screenshot(page, "api-key")
    secret_dialog.get_by_role("button", name=re.compile("done|close", re.I)).first.click()
    expect(page.get_by_text(secret)).to_have_count(0)  # shown once
    # The key opens the REST API on the person's organization.
    bots = httpx.get(f"{api_url}/api/v1/bots", headers={"Authorization": f"Bearer {secret}"})
    assert bots.status_code == 200, bots.text
    assert [bot["name"] for bot in bots.json()["items"]] == [BOT_NAME]
    page.goto("/settings/usage")
    expect(page.get_by_role("progressbar").first).to_be_visible()
    axe(page)
    screenshot(page, "usage")


def test_a_person_builds_runs_schedules_and_exports_a_bot(page: Page, site_url: str, api_url: str) -> None:
    sign_up(page)
    build_bot(page, site_url)
    run_and_read_rows(page)
    schedule(page)
    create_api_key(page, api_url)


def test_a_bot_starts_from_a_template(signed_in_page: Page) -> None:
    page = signed_in_page
    page.goto("/bots")
    page.get_by_role("button", name="Start from a template").first.click()
    page.get_by_role("menuitem", name=re.compile("^Product list")).click()
    page.wait_for_url("**/editor/new?template=product-list")
    expect(page.get_by_label("Bot name")).to_have_value("Product list")
    steps = page.locator(".react-flow__node")
    expect(steps.filter(has_text="Next pages")).to_have_count(1)
    expect(steps.filter(has_text="Extract")).to_have_count(1)
    expect(page.get_by_text("Ready to save")).to_be_visible()
    axe(page)
