"""robots.txt and the sitemaps: an index pointing to gzipped product chunks and a plain sitemap of the other pages."""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from xml.sax.saxutils import escape

from tests.site.catalog import Catalog, Product
from tests.site.pages import list_url

SITEMAP_CHUNK = 1000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
LAUNCH_DATE = date(2026, 1, 1)


def render_robots(base_url: str) -> str:
    return (
        "# ScrapeFlow Test Shop\n"
        "User-agent: *\n"
        "Disallow: /private/\n"
        "\n"
        "User-agent: SlowBot\n"
        "Crawl-delay: 2\n"
        "Disallow: /private/\n"
        "\n"
        "User-agent: BadBot\n"
        "Disallow: /\n"
        "\n"
        f"Sitemap: {base_url}/sitemap.xml\n"
    )


def product_chunk_count(catalog: Catalog) -> int:
    return -(-catalog.size // SITEMAP_CHUNK)


def product_chunk_path(number: int) -> str:
    return f"/sitemaps/products-{number}.xml.gz"


def lastmod(product: Product) -> str:
    return (LAUNCH_DATE + timedelta(days=product.id % 300)).isoformat()


def render_sitemap_index(catalog: Catalog, base_url: str) -> str:
    paths = [product_chunk_path(n) for n in range(1, product_chunk_count(catalog) + 1)] + ["/sitemaps/pages.xml"]
    entries = "".join(f"<sitemap><loc>{escape(base_url + path)}</loc></sitemap>\n" for path in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n'


def _urlset(entries: list[tuple[str, str | None]]) -> str:
    lines = "".join(
        f"<url><loc>{escape(loc)}</loc>{f'<lastmod>{modified}</lastmod>' if modified else ''}</url>\n"
        for loc, modified in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{lines}</urlset>\n'


def render_product_chunk(catalog: Catalog, number: int, base_url: str) -> bytes:
    """Chunk `number` (from 1) of the product URLs, gzipped with a fixed mtime so the bytes never change."""
    products = catalog.products[(number - 1) * SITEMAP_CHUNK : number * SITEMAP_CHUNK]
    xml = _urlset([(base_url + product.path, lastmod(product)) for product in products])
    return gzip.compress(xml.encode(), compresslevel=6, mtime=0)


def page_paths(catalog: Catalog) -> list[str]:
    """Every crawlable page that is not a product page, in sitemap order."""
    paths = ["/", "/table.html"]
    paths += [list_url(page) for page in range(1, catalog.page_count() + 1)]
    for category in catalog.categories:
        paths += [list_url(page, category.slug) for page in range(1, catalog.page_count(category.slug) + 1)]
    return paths


def render_pages_sitemap(catalog: Catalog, base_url: str) -> str:
    return _urlset([(base_url + path, None) for path in page_paths(catalog)])
