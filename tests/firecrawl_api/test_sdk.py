"""Firecrawl's own Python SDK (v2 `Firecrawl` and `V1FirecrawlApp`) against a ScrapeFlow server, scraping and
mapping the test shop over real sockets."""

from __future__ import annotations

from html import escape

import pytest
import requests
from firecrawl import (
    BadRequestError,
    Firecrawl,
    RequestTimeoutError,
    UnauthorizedError,
    V1FirecrawlApp,
    WebsiteNotSupportedError,
)

from tests.conftest import SHOP_SIZE
from tests.firecrawl_api.conftest import ScrapeFlowServer
from tests.site.catalog import Catalog
from tests.site.pages import EXTERNAL_URL, SHOP_NAME

CATALOG = Catalog(size=SHOP_SIZE)
PRODUCT = CATALOG.products[7]
METADATA = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
def firecrawl(scrapeflow_server: ScrapeFlowServer) -> Firecrawl:
    return Firecrawl(api_key=scrapeflow_server.api_key, api_url=scrapeflow_server.base_url, max_retries=1)


@pytest.fixture
def firecrawl_v1(scrapeflow_server: ScrapeFlowServer) -> V1FirecrawlApp:
    return V1FirecrawlApp(api_key=scrapeflow_server.api_key, api_url=scrapeflow_server.base_url)


def product_urls(shop: str) -> set[str]:
    return {f"{shop}{product.path}" for product in CATALOG.products}


def test_scrape_a_product_page(firecrawl: Firecrawl, shop: str) -> None:
    url = f"{shop}{PRODUCT.path}"
    document = firecrawl.scrape(url, formats=["markdown", "html", "links"])

    markdown = document.markdown
    assert f"# {PRODUCT.title}" in markdown
    assert PRODUCT.price_text in markdown
    assert PRODUCT.sku in markdown
    assert PRODUCT.description[0] in markdown
    # Main content only: the header, navigation, footer and related products are left out.
    assert "Our partner" not in markdown
    assert "You may also like" not in markdown
    assert escape(PRODUCT.title, quote=False) in document.html
    assert "<script" not in document.html
    assert "site-footer" not in document.html
    assert document.raw_html is None

    related = CATALOG.related(PRODUCT)[0]
    assert {f"{shop}{related.path}", f"{shop}/products?page=1", EXTERNAL_URL} <= set(document.links)
    assert all(link.startswith(("http://", "https://")) for link in document.links)

    metadata = document.metadata
    assert metadata.title == f"{PRODUCT.title} | {SHOP_NAME}"
    assert metadata.og_title == PRODUCT.title
    assert metadata.language == "en"
    assert metadata.status_code == 200
    assert metadata.source_url == url
    assert metadata.url == url
    assert metadata.content_type.startswith("text/html")
    assert metadata.extras["og:type"] == "product"


def test_scrape_the_whole_page_raw_html_and_selected_tags(firecrawl: Firecrawl, shop: str) -> None:
    url = f"{shop}{PRODUCT.path}"
    whole = firecrawl.scrape(url, formats=["markdown", "rawHtml"], only_main_content=False)
    assert "Our partner" in whole.markdown
    assert whole.raw_html.startswith("<!DOCTYPE html>")
    assert '<script type="application/ld+json">' in whole.raw_html

    offer = firecrawl.scrape(url, formats=["markdown"], include_tags=[".offer"])
    assert PRODUCT.price_text in offer.markdown
    assert PRODUCT.title not in offer.markdown
    without_specs = firecrawl.scrape(url, formats=["markdown"], exclude_tags=["dl.specs", "#reviews"])
    assert PRODUCT.sku not in without_specs.markdown
    assert "customers reviewed" not in without_specs.markdown
    assert PRODUCT.title in without_specs.markdown


def test_a_missing_page_is_reported_in_the_metadata(firecrawl: Firecrawl, shop: str) -> None:
    document = firecrawl.scrape(f"{shop}/status/404", formats=["markdown"])
    assert document.metadata.status_code == 404
    assert "not found" in document.metadata.error


def test_map_lists_the_shop_from_its_sitemaps(firecrawl: Firecrawl, shop: str) -> None:
    links = [link.url for link in firecrawl.map(shop).links]
    assert product_urls(shop) <= set(links)
    assert f"{shop}/products" in links  # list pages' ?page=N are one URL without query parameters
    assert len(links) == len(set(links))

    lamps = [link.url for link in firecrawl.map(shop, search="lamp", limit=3).links]
    assert 0 < len(lamps) <= 3
    assert all("lamp" in url for url in lamps)


@pytest.mark.filterwarnings("ignore:The `dict` method is deprecated:DeprecationWarning")  # inside the v1 SDK
def test_v1_client_scrapes_and_maps(firecrawl_v1: V1FirecrawlApp, shop: str) -> None:
    url = f"{shop}{PRODUCT.path}"
    page = firecrawl_v1.scrape_url(url, formats=["markdown", "html", "links"])
    assert f"# {PRODUCT.title}" in page.markdown
    assert escape(PRODUCT.title, quote=False) in page.html
    assert f"{shop}/products?page=1" in page.links
    assert page.metadata["title"] == f"{PRODUCT.title} | {SHOP_NAME}"
    assert page.metadata["statusCode"] == 200
    assert page.metadata["sourceURL"] == url

    mapped = firecrawl_v1.map_url(shop)
    assert product_urls(shop) <= set(mapped.links)


def test_a_user_access_token_works_too(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    firecrawl = Firecrawl(api_key=scrapeflow_server.access_token, api_url=scrapeflow_server.base_url)
    assert firecrawl.scrape(f"{shop}/", formats=["links"]).metadata.status_code == 200


def test_a_bad_key_is_refused(scrapeflow_server: ScrapeFlowServer, shop: str) -> None:
    firecrawl = Firecrawl(api_key="sf_not-a-key", api_url=scrapeflow_server.base_url, max_retries=1)
    with pytest.raises(UnauthorizedError) as refused:
        firecrawl.scrape(f"{shop}/")
    assert refused.value.status_code == 401
    assert refused.value.code == "invalid_api_key"
    with pytest.raises(UnauthorizedError):
        Firecrawl(api_key=None, api_url=scrapeflow_server.base_url, max_retries=1).map(shop)
    v1 = V1FirecrawlApp(api_key="sf_not-a-key", api_url=scrapeflow_server.base_url)
    with pytest.raises(requests.HTTPError, match="401"):
        v1.scrape_url(f"{shop}/")


def test_private_addresses_are_refused(firecrawl: Firecrawl, firecrawl_v1: V1FirecrawlApp) -> None:
    with pytest.raises(WebsiteNotSupportedError) as refused:
        firecrawl.scrape(METADATA)
    assert refused.value.status_code == 403
    assert refused.value.code == "BLOCKED_BY_POLICY"
    assert "FETCH_ALLOWLIST" in str(refused.value)
    with pytest.raises(WebsiteNotSupportedError):
        firecrawl.map("http://10.1.2.3/")
    with pytest.raises(requests.HTTPError, match=r"Website Not Supported.*FETCH_ALLOWLIST"):
        firecrawl_v1.scrape_url(METADATA)


def test_bad_requests_and_timeouts(firecrawl: Firecrawl, shop: str) -> None:
    with pytest.raises(BadRequestError, match="screenshot"):
        firecrawl.scrape(f"{shop}/", formats=["screenshot"])
    with pytest.raises(BadRequestError, match="not a web page address"):
        firecrawl.scrape("ftp://example.com/file")
    with pytest.raises(RequestTimeoutError):
        firecrawl.scrape(f"{shop}/slow?ms=3000", timeout=1000)
