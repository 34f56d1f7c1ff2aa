"""The in-app picker's page and resource endpoints against the local test site, through the fetch guard."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.picker import links
from tests.conftest import SHOP_SIZE
from tests.factories import make_user
from tests.site.catalog import Catalog
from tests.site.oddities import DOT_PNG, HOSTILE_TITLE

CATALOG = Catalog(size=SHOP_SIZE)


@pytest.fixture
def allow_local(app: Any, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1", "test_run_timeout_seconds": 10})


def resource_links(html: str) -> dict[str, str]:
    """Each resource link in the page, by the site URL it stands for."""
    tree = LexborHTMLParser(html)
    found = [n.attributes.get("href") or "" for n in tree.css("link")] + [
        n.attributes["src"] or "" for n in tree.css("img")
    ]
    return {parse_qs(urlsplit(link).query)["url"][0]: link for link in found if link.startswith(links.RESOURCE_PATH)}


@pytest.mark.usefixtures("allow_local")
async def test_a_page_opens_inert_with_its_title_and_resources(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    response = await client.post("/api/v1/picker/pages", json={"url": f"{shop}/hostile.html"}, headers=editor.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["title"], page["status"], page["render"]) == (HOSTILE_TITLE, 200, "http")
    tree = LexborHTMLParser(page["html"])
    assert tree.css_first("li.deal a").text() == CATALOG.products[0].title
    assert all(script.text() == "" for script in tree.css("script"))

    resources = resource_links(page["html"])
    assert set(resources) == {f"{shop}/assets/site.css", f"{shop}/assets/dot.png"}
    image = await client.get(resources[f"{shop}/assets/dot.png"])
    assert (image.status_code, image.content, image.headers["content-type"]) == (200, DOT_PNG, "image/png")
    assert "sandbox" in image.headers["content-security-policy"]
    assert image.headers["x-content-type-options"] == "nosniff"
    css = await client.get(resources[f"{shop}/assets/site.css"])
    assert css.headers["content-type"].startswith("text/css")
    nested = {parse_qs(urlsplit(link).query)["url"][0] for link in re.findall(r'url\("([^"]+)"\)', css.text)}
    assert nested == {f"{shop}/assets/dot.png", f"{shop}/assets/extra.css"}


@pytest.mark.usefixtures("allow_local")
async def test_resource_links_cannot_be_forged_altered_or_reused_late(
    client: httpx.AsyncClient, settings: Settings, shop: str
) -> None:
    good = links.resource_link(settings, f"{shop}/assets/dot.png")
    assert (await client.get(good)).status_code == 200
    query = parse_qs(urlsplit(good).query)
    elsewhere = {**{k: v[0] for k, v in query.items()}, "url": f"{shop}/products"}
    expired = links.resource_link(settings, f"{shop}/assets/dot.png", now=0)
    for params in (elsewhere, {**elsewhere, "url": f"{shop}/assets/dot.png", "signature": "x" * 43}):
        response = await client.get(links.RESOURCE_PATH, params=params)
        assert response.status_code == 404, params
    assert (await client.get(expired)).status_code == 404
    # A page is not a resource, even with a good link: only images, stylesheets and fonts come through.
    assert (await client.get(links.resource_link(settings, f"{shop}/products"))).status_code == 404


async def test_private_addresses_are_refused_without_the_allowlist(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    page = await client.post("/api/v1/picker/pages", json={"url": f"{shop}/products"}, headers=editor.headers)
    assert (page.status_code, page.json()["error"]["code"]) == (422, "blocked_by_policy")
    resource = await client.get(links.resource_link(settings, f"{shop}/assets/dot.png"))
    assert resource.status_code == 404
    metadata = await client.post(
        "/api/v1/picker/pages", json={"url": "http://169.254.169.254/latest/meta-data/"}, headers=editor.headers
    )
    assert metadata.status_code == 422


@pytest.mark.usefixtures("allow_local")
async def test_a_page_that_needs_javascript_is_rendered_in_the_browser(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str
) -> None:
    editor = await make_user(session, settings)
    response = await client.post(
        "/api/v1/picker/pages", json={"url": f"{shop}/js/products", "render": "browser"}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["render"] == "browser"
    titles = [node.text() for node in LexborHTMLParser(page["html"]).css(".product-card h2 a")]
    assert titles == [product.title for product in CATALOG.products[:24]]
