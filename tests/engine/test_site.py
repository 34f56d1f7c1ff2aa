"""The test website itself: deterministic data, crawlable structure, and the special endpoints over a real socket."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.site import Catalog, SiteApp, create_site, nginx_config, serve_site, write_static
from tests.site.__main__ import main as site_main
from tests.site.catalog import PER_PAGE, PriceStyle
from tests.site.documents import SiteDocuments, static_file
from tests.site.oddities import HUGE_SIZE, LATIN1_TEXT, LATIN1_TITLE, SHIFT_JIS_TEXT
from tests.site.pages import EXTERNAL_URL, PRICING_PLANS

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
TRACKING = re.compile(r"utm_\w+|fbclid|gclid|ref")
COMPARED_URLS = [
    "/",
    "/products?page=1",
    "/products?page=2",
    "/categories/decor?page=3",
    "/table.html",
    "/robots.txt",
    "/sitemap.xml",
    "/sitemaps/products-2.xml.gz",
    "/sitemaps/pages.xml",
    "/latin1.html",
    "/binary.bin",
]


def parse_price(text: str) -> Decimal:
    """Reads "$1,234.56", "€1,234.56" and "1.234,56 €"."""
    number = text.strip().strip("$€ ")
    if text.strip().endswith("€"):
        number = number.replace(".", "").replace(",", ".")
    return Decimal(number.replace(",", ""))


def sitemap_locs(body: bytes) -> list[str]:
    return [loc.text or "" for loc in ElementTree.fromstring(body).iter(f"{SITEMAP}loc")]  # noqa: S314 (our own site)


def html(body: bytes | str) -> LexborHTMLParser:
    return LexborHTMLParser(body if isinstance(body, str) else body.decode())


def text_of(tree: LexborHTMLParser, selector: str) -> str:
    node = tree.css_first(selector)
    assert node is not None, selector
    return node.text(strip=True)


def attribute_of(tree: LexborHTMLParser, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    assert node is not None, selector
    return node.attributes.get(name)


@pytest.fixture(scope="module")
def site() -> SiteApp:
    return create_site()


@pytest.fixture(scope="module")
def base_url(site: SiteApp) -> Iterator[str]:
    with serve_site(site) as url:
        yield url


@pytest.fixture
def http(site: SiteApp, base_url: str) -> Iterator[httpx.Client]:
    site.reset()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def documents(site: SiteApp) -> SiteDocuments:
    return SiteDocuments(site.catalog, "http://shop.test")


# Data and determinism


def test_catalog_is_deterministic_and_the_same_at_any_size() -> None:
    catalog = Catalog()
    assert catalog.products == Catalog().products
    assert Catalog(size=50).products == catalog.products[:50]
    assert Catalog(seed=7).products != catalog.products
    assert [p.id for p in catalog.products] == list(range(1, 2001))


def test_catalog_covers_the_awkward_cases() -> None:
    products = Catalog().products
    assert len({p.slug for p in products}) == len({p.title for p in products}) == len(products)
    assert all(re.fullmatch(r"[a-z0-9-]+", p.slug) for p in products)
    assert all(Decimal(0) <= p.rating <= 5 and p.rating == p.rating.quantize(Decimal("0.1")) for p in products)
    assert all(p.rating == 0 for p in products if p.review_count == 0)
    assert {p.price_style for p in products} == set(PriceStyle)
    assert any(p.price >= 1000 for p in products if p.price_style is PriceStyle.EURO_SUFFIX)
    assert any(p.list_price for p in products) and not all(p.in_stock for p in products)
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+,\d\d €", p.price_text) for p in products)
    assert any(re.fullmatch(r"€\d+\.\d\d", p.price_text) for p in products)
    assert any(re.fullmatch(r"\$\d{1,3}(,\d{3})+\.\d\d", p.price_text) for p in products)
    assert any("&" in p.title for p in products) and any(not p.title.isascii() for p in products)
    assert all(parse_price(p.price_text) == p.price for p in products)


def test_same_seed_renders_the_same_bytes(documents: SiteDocuments) -> None:
    again = SiteDocuments(Catalog(), "http://shop.test")
    urls = documents.urls()
    assert urls == again.urls()
    for url in urls:
        first, second = documents.get_url(url), again.get_url(url)
        assert first is not None and second is not None, url
        assert first.body == second.body, url
    other_seed = SiteDocuments(Catalog(seed=1), "http://shop.test")
    assert other_seed.get("/") != documents.get("/")


# Structure: pagination, categories, sitemaps, robots, product data


def test_pagination_reaches_every_product_exactly_once(http: httpx.Client, site: SiteApp) -> None:
    url: str | None = "/products?page=1"
    seen, pages = [], 0
    while url:
        response = http.get(url)
        assert response.status_code == 200
        tree, pages = html(response.content), pages + 1
        seen += [link.attributes["href"] for link in tree.css(".product-card a.product-link")]
        following = tree.css_first('a[rel="next"].next')
        url = following.attributes["href"] if following else None
    assert pages == site.catalog.page_count() == -(-2000 // PER_PAGE)
    assert seen == [product.path for product in site.catalog.products]


def test_category_pages_split_the_catalog(documents: SiteDocuments) -> None:
    catalog, seen = documents.catalog, []
    for category in catalog.categories:
        for page in range(1, catalog.page_count(category.slug) + 1):
            document = documents.get(f"/categories/{category.slug}", str(page))
            assert document is not None
            cards = html(document.body).css(".product-card")
            assert len(cards) == len(catalog.page(page, category.slug)) <= PER_PAGE
            seen += [int(card.attributes["data-product-id"] or 0) for card in cards]
        assert documents.get(f"/categories/{category.slug}", str(page + 1)) is None
    assert sorted(seen) == list(range(1, catalog.size + 1))


def test_sitemap_index_and_gzipped_chunks_list_every_product(http: httpx.Client, base_url: str, site: SiteApp) -> None:
    index = http.get("/sitemap.xml")
    assert index.headers["content-type"] == "application/xml"
    children = sitemap_locs(index.content)
    assert children == [
        f"{base_url}/sitemaps/products-1.xml.gz",
        f"{base_url}/sitemaps/products-2.xml.gz",
        f"{base_url}/sitemaps/pages.xml",
    ]
    listed: list[str] = []
    for child in children:
        response = http.get(child)
        assert response.status_code == 200
        body = response.content
        if child.endswith(".gz"):
            assert response.headers["content-type"] == "application/gzip"
            assert "content-encoding" not in response.headers
            body = gzip.decompress(body)
        listed += sitemap_locs(body)
    products = [base_url + product.path for product in site.catalog.products]
    assert [url for url in listed if "/products/" in url] == products
    assert f"{base_url}/" in listed and f"{base_url}/products?page=84" in listed
    assert len(listed) == len(set(listed))


def test_robots_txt_disallows_private_and_names_the_sitemap(http: httpx.Client, base_url: str) -> None:
    response = http.get("/robots.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    robots = RobotFileParser()
    robots.parse(response.text.splitlines())
    assert not robots.can_fetch("ScrapeFlowBot", f"{base_url}/private/secret.html")
    assert robots.can_fetch("ScrapeFlowBot", f"{base_url}/products?page=2")
    assert not robots.can_fetch("BadBot", f"{base_url}/")
    assert str(robots.crawl_delay("SlowBot")) == "2" and robots.crawl_delay("ScrapeFlowBot") is None
    assert robots.site_maps() == [f"{base_url}/sitemap.xml"]


def test_product_pages_json_ld_and_microdata_match_the_visible_page(documents: SiteDocuments) -> None:
    for product in documents.catalog.products:
        document = documents.get(product.path)
        assert document is not None
        tree = html(document.body)
        data = json.loads(text_of(tree, 'script[type="application/ld+json"]'))
        assert data["@type"] == "Product"
        assert data["name"] == text_of(tree, "h1.product-title") == product.title
        visible = text_of(tree, ".offer .price")
        assert visible == product.price_text
        assert parse_price(visible) == Decimal(data["offers"]["price"]) == product.price
        assert data["offers"]["priceCurrency"] == product.currency
        assert attribute_of(tree, '[itemprop="price"]', "content") == data["offers"]["price"]
        assert data["url"] == f"http://shop.test{product.path}"
        if product.review_count:
            assert data["aggregateRating"]["ratingValue"] == text_of(tree, '[itemprop="ratingValue"]')
            assert data["aggregateRating"]["reviewCount"] == product.review_count
        else:
            assert "aggregateRating" not in data
        assert [p.text() for p in tree.css(".description p")] == list(product.description)


def test_home_page_links_normalise_to_product_pages(http: httpx.Client, base_url: str, site: SiteApp) -> None:
    response = http.get("/")
    hrefs = [a.attributes["href"] or "" for a in html(response.content).css("a")]
    assert EXTERNAL_URL in hrefs and "mailto:shop@example.org" in hrefs and "#top" in hrefs
    featured = [href for href in hrefs if ".html" in href and "products" in href]
    assert any(href.startswith("http://") for href in featured) and any(href.startswith("//") for href in featured)
    assert any("#" in href for href in featured) and any("utm_source" in href for href in featured)
    normalised = []
    for href in featured:
        url, _ = urldefrag(urljoin(base_url + "/", href))
        parts = urlsplit(url)
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not TRACKING.fullmatch(k)])
        normalised.append(urlunsplit(parts._replace(path=re.sub(r"/[^/]+/\.\./|/\./", "/", parts.path), query=query)))
    assert normalised == [base_url + product.path for product in site.catalog.products[:8]]
    for url in normalised:
        assert http.get(url).status_code == 200


def test_table_page_has_the_pricing_table(http: httpx.Client) -> None:
    tree = html(http.get("/table.html").content)
    assert text_of(tree, "table.pricing thead th") == "Plan"
    rows = [tuple(td.text() for td in tr.css("td")) for tr in tree.css("table.pricing tbody tr")]
    assert rows == list(PRICING_PLANS)
    assert len(tree.css("table.top-rated tbody tr")) == 10


def test_redesign_theme_changes_markup_not_data() -> None:
    classic, redesign = (SiteDocuments(Catalog(size=60, theme=t), "http://shop.test") for t in ("classic", "redesign"))
    product = classic.catalog.products[0]
    new_page, old_page = redesign.get(product.path), classic.get(product.path)
    assert new_page is not None and old_page is not None and new_page.body != old_page.body
    assert text_of(html(new_page.body), "h1.pdp__title") == product.title
    listing = redesign.get("/products", "1")
    assert listing is not None
    tree = html(listing.body)
    assert not tree.css(".product-card") and len(tree.css("ul.catalog-grid > li.tile")) == PER_PAGE
    assert attribute_of(tree, 'a[rel="next"]', "href") == "/products?page=2"
    with pytest.raises(ValueError, match="unknown theme"):
        Catalog(theme="neon")


# Special endpoints over a real socket


def test_redirect_chain_ends_at_a_product(http: httpx.Client, base_url: str, site: SiteApp) -> None:
    first = http.get("/redirect/3")
    assert first.status_code == 302 and first.headers["location"] == "/redirect/2"
    response = http.get("/redirect/3", follow_redirects=True)
    assert response.status_code == 200 and len(response.history) == 3
    assert str(response.url) == base_url + site.catalog.products[0].path
    permanent = http.get("/redirect/2?status=301", follow_redirects=True)
    assert [r.status_code for r in permanent.history] == [301, 301]
    assert http.get("/redirect/0").status_code == 404


def test_redirect_loop_and_open_redirect(http: httpx.Client) -> None:
    assert http.get("/redirect-loop/a").headers["location"] == "/redirect-loop/b"
    with pytest.raises(httpx.TooManyRedirects):
        http.get("/redirect-loop/a", follow_redirects=True)
    target = "http://169.254.169.254/latest/meta-data/"
    response = http.get("/redirect-to", params={"url": target, "status": "307"})
    assert response.status_code == 307 and response.headers["location"] == target
    assert http.get("/redirect-to").status_code == 400


def test_rate_limited_answers_429_first_per_key(http: httpx.Client, site: SiteApp) -> None:
    first = http.get("/rate-limited?key=a")
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    assert http.get("/rate-limited?key=a").status_code == 200
    assert http.get("/rate-limited?key=b").status_code == 429
    site.reset()
    assert http.get("/rate-limited?key=a").status_code == 429
    statuses = [http.get("/rate-limited?key=c&times=2&retry_after=3") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200] and statuses[0].headers["retry-after"] == "3"
    assert http.post("/_site/reset").json() == {"reset": True}
    assert http.get("/rate-limited?key=a").status_code == 429


def test_flaky_fails_then_recovers(http: httpx.Client) -> None:
    assert [http.get("/flaky?key=x&fail=2").status_code for _ in range(4)] == [500, 500, 200, 200]
    assert http.get("/flaky?key=y&fail=0").status_code == 200


def test_slow_page_waits_and_can_stall_mid_body(http: httpx.Client) -> None:
    started = time.monotonic()
    assert http.get("/slow?ms=300").status_code == 200
    assert time.monotonic() - started >= 0.29
    started = time.monotonic()
    with http.stream("GET", "/slow?ms=400&stream=1") as response:
        headers_after = time.monotonic() - started
        response.read()
    assert headers_after < 0.35 <= time.monotonic() - started
    with pytest.raises(httpx.ReadTimeout):
        http.get("/slow?ms=2000", timeout=0.2)


def test_huge_page_streams_past_the_size_limit(http: httpx.Client) -> None:
    with http.stream("GET", "/huge") as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        received = sum(len(chunk) for chunk in response.iter_raw())
    assert received == HUGE_SIZE > 12_000_000
    with http.stream("GET", "/huge?length=1") as response:
        assert response.headers["content-length"] == str(HUGE_SIZE)


def test_malformed_page_still_yields_title_and_price(http: httpx.Client, site: SiteApp) -> None:
    response = http.get("/malformed.html")
    assert response.status_code == 200 and b"</div>\n</span>" in response.content
    tree = html(response.content)
    product = site.catalog.products[0]
    assert text_of(tree, "h1.product-title") == product.title
    assert text_of(tree, ".price") == product.price_text
    assert len(tree.css("ul.features li")) == 3


def test_legacy_encodings_declare_no_charset_in_the_header(http: httpx.Client) -> None:
    latin1 = http.get("/latin1.html")
    assert latin1.headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        latin1.content.decode()
    assert LATIN1_TEXT in latin1.content.decode("iso-8859-1") and b"charset=iso-8859-1" in latin1.content
    bare = http.get("/latin1-nocharset.html").content
    assert b"charset" not in bare and LATIN1_TITLE in bare.decode("iso-8859-1")
    shift_jis = http.get("/shift-jis.html").content
    with pytest.raises(UnicodeDecodeError):
        shift_jis.decode()
    assert SHIFT_JIS_TEXT in shift_jis.decode("shift_jis")


def test_plain_status_pages(http: httpx.Client) -> None:
    binary = http.get("/binary.bin")
    assert binary.headers["content-type"] == "application/octet-stream" and len(binary.content) == 65536
    assert http.get("/private/secret.html").status_code == 200
    for missing in ("/gone", "/nowhere.html", "/products?page=85", "/products?page=abc", "/products/nope.html"):
        response = http.get(missing)
        assert response.status_code == 404 and "Not found" in response.text, missing
    assert http.get("/products").content == http.get("/products?page=1&utm_source=x").content
    assert http.get("/status/503").status_code == 503
    head = http.head("/table.html")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 1000


def test_etag_revalidation_answers_304(http: httpx.Client) -> None:
    first = http.get("/products?page=3")
    again = http.get("/products?page=3", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]


def test_headers_and_cookies_are_echoed(http: httpx.Client) -> None:
    echo = http.get("/headers?x=1", headers={"User-Agent": "ScrapeFlowBot/1.0", "Cookie": "a=1; b=two"}).json()
    assert echo["headers"]["user-agent"] == "ScrapeFlowBot/1.0"
    assert echo["cookies"] == {"a": "1", "b": "two"} and echo["query"] == {"x": "1"}
    after = http.get("/cookies/set?session=abc", follow_redirects=True)
    assert after.json()["cookies"] == {"session": "abc"}


def test_stats_count_hits_and_concurrent_requests(http: httpx.Client, base_url: str) -> None:
    def fetch() -> None:
        with httpx.Client(timeout=10) as client:
            client.get(f"{base_url}/slow?ms=300")

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    http.get("/table.html")
    stats = http.get("/_site/stats").json()
    assert stats["hits"] == {"/slow?ms=300": 4, "/table.html": 1}
    assert stats["max_in_flight"] >= 2


# Static export and the command line


def test_static_export_matches_the_asgi_responses(tmp_path: Path, http: httpx.Client, base_url: str) -> None:
    urls = write_static(tmp_path, 2000, base_url=base_url)
    assert len(urls) == len(set(urls)) > 2100
    assert (tmp_path / "products" / "page-84.html").is_file() and (tmp_path / "index.html").is_file()
    product = Catalog(size=1).products[0].path
    for url in [*COMPARED_URLS, product]:
        assert (tmp_path / static_file(url)).read_bytes() == http.get(url).content, url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_nginx_serves_the_export_like_the_asgi_app(tmp_path: Path) -> None:
    nginx_url = f"http://127.0.0.1:{_free_port()}"
    write_static(tmp_path / "site", 2000, base_url=nginx_url)
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    config = prefix / "nginx.conf"
    config.write_text(nginx_config(tmp_path / "site", nginx_url, prefix))
    nginx = subprocess.Popen(
        [
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-p",
            str(prefix),
            "-c",
            str(config),
            "-e",
            str(prefix / "error.log"),
        ]
    )
    try:
        with serve_site(create_site(base_url=nginx_url)) as asgi_url, httpx.Client(timeout=10) as client:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    client.get(nginx_url + "/robots.txt")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            for url in [*COMPARED_URLS, "/latin1-nocharset.html", "/products", "/categories/office"]:
                static, dynamic = client.get(nginx_url + url), client.get(asgi_url + url)
                assert static.status_code == dynamic.status_code == 200, url
                assert static.content == dynamic.content, url
                assert static.headers["content-type"] == dynamic.headers["content-type"], url
            for missing in ("/products?page=85", "/products?page=../index", "/categories/decor?page=99"):
                assert client.get(nginx_url + missing).status_code == 404, missing
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def test_command_line_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site_main(["export", str(tmp_path / "out"), "--size", "30", "--nginx-conf", str(tmp_path / "nginx.conf")])
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "out" / "products" / "page-2.html").is_file()
    assert not (tmp_path / "out" / "products" / "page-3.html").exists()
    assert "try_files /products/page-$site_page.html" in (tmp_path / "nginx.conf").read_text()
