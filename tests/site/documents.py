"""The site's static documents by URL, rendered once and kept: what both the ASGI app and the static export serve."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.site import oddities, pages, scripted, sitemaps
from tests.site.catalog import Catalog

HTML = "text/html; charset=utf-8"
JSON = "application/json"
LEGACY_HTML = "text/html"  # the non-UTF-8 pages: the header names no charset, the document (maybe) does
PRODUCT_PATH = re.compile(r"/products/([a-z0-9-]+)\.html")
CATEGORY_PATH = re.compile(r"/categories/([a-z0-9-]+)")
CHUNK_PATH = re.compile(r"/sitemaps/products-([1-9][0-9]*)\.xml\.gz")
PAGED_PATHS = frozenset(("/products", scripted.JS_LIST, scripted.API_LIST))  # these read `?page=N`
LEGACY_PAGES = ("/latin1.html", "/latin1-nocharset.html", "/shift-jis.html")
PRIVATE_MESSAGE = "Staff only. robots.txt disallows this page; a polite crawler never sees it."


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", f'"{hashlib.blake2b(self.body, digest_size=8).hexdigest()}"')


def _html(text: str) -> Document:
    return Document(text.encode(), HTML)


class SiteDocuments:
    """Resolves a path (plus the `page` query parameter of list pages) to a document for one base URL."""

    def __init__(self, catalog: Catalog, base_url: str) -> None:
        self.catalog, self.base_url = catalog, base_url.rstrip("/")
        self._cache: dict[tuple[str, int], Document] = {}
        base, first = self.base_url, catalog.products[0]
        self._fixed: dict[str, Callable[[], Document]] = {
            "/": lambda: _html(pages.render_home(catalog, base)),
            "/table.html": lambda: _html(pages.render_table(catalog)),
            "/robots.txt": lambda: Document(sitemaps.render_robots(base).encode(), "text/plain; charset=utf-8"),
            "/sitemap.xml": lambda: Document(sitemaps.render_sitemap_index(catalog, base).encode(), "application/xml"),
            "/sitemaps/pages.xml": lambda: Document(
                sitemaps.render_pages_sitemap(catalog, base).encode(), "application/xml"
            ),
            "/private/secret.html": lambda: _html(pages.render_message("Private", PRIVATE_MESSAGE)),
            "/malformed.html": lambda: Document(oddities.render_malformed(first), HTML),
            "/latin1.html": lambda: Document(oddities.render_latin1(with_meta=True), LEGACY_HTML),
            "/latin1-nocharset.html": lambda: Document(oddities.render_latin1(with_meta=False), LEGACY_HTML),
            "/shift-jis.html": lambda: Document(oddities.render_shift_jis(), LEGACY_HTML),
            "/binary.bin": lambda: Document(oddities.render_binary(catalog.seed), "application/octet-stream"),
            "/hostile.html": lambda: _html(oddities.render_hostile(first)),
            "/assets/site.css": lambda: Document(oddities.SITE_CSS, "text/css"),
            "/assets/extra.css": lambda: Document(oddities.EXTRA_CSS, "text/css"),
            "/assets/dot.png": lambda: Document(oddities.DOT_PNG, "image/png"),
            # Pages that need a browser (tests/site/scripted.py); their lists come from /api/products?page=N.
            "/js/infinite": lambda: _html(scripted.render_infinite()),
            "/js/load-more": lambda: _html(scripted.render_load_more()),
            "/js/tabs": lambda: _html(scripted.render_tabs(catalog)),
            "/js/delayed": lambda: _html(scripted.render_delayed(catalog)),
            "/js/never-loads": lambda: _html(scripted.render_never_loads()),
            "/js/dialog": lambda: _html(scripted.render_dialogs()),
            "/js/popup": lambda: _html(scripted.render_popup()),
            "/js/download": lambda: _html(scripted.render_download()),
            "/js/navigate-away": lambda: _html(scripted.render_navigate_away()),
        }

    def get(self, path: str, page: str | None = None) -> Document | None:
        """The document at `path`, or None (a 404). `page` only matters to list pages and defaults to 1."""
        number = _page_number(page) if path in PAGED_PATHS or path.startswith("/categories/") else 1
        key = (path, number)
        document = self._cache.get(key)
        if document is None:
            document = self._render(path, number)
            if document is not None:  # misses are not kept, so probing random URLs cannot grow the cache
                self._cache[key] = document
        return document

    def _render(self, path: str, page: int) -> Document | None:
        catalog, base = self.catalog, self.base_url
        if path in self._fixed:
            return self._fixed[path]()
        if path == "/products":
            valid = 1 <= page <= catalog.page_count()
            return _html(pages.render_list(catalog, page, base)) if valid else None
        if path in (scripted.JS_LIST, scripted.API_LIST):
            if not 1 <= page <= catalog.page_count():
                return None
            if path == scripted.API_LIST:
                return Document(scripted.render_api_page(catalog, page), JSON)
            return _html(scripted.render_js_list(page))
        if match := PRODUCT_PATH.fullmatch(path):
            product = catalog.by_slug.get(match[1])
            return _html(pages.render_product(catalog, product, base)) if product else None
        if match := CATEGORY_PATH.fullmatch(path):
            category = next((c for c in catalog.categories if c.slug == match[1]), None)
            if category is None or not 1 <= page <= catalog.page_count(category.slug):
                return None
            return _html(pages.render_list(catalog, page, base, category))
        if (match := CHUNK_PATH.fullmatch(path)) and int(match[1]) <= sitemaps.product_chunk_count(catalog):
            return Document(sitemaps.render_product_chunk(catalog, int(match[1]), base), "application/gzip")
        return None

    def urls(self) -> list[str]:
        """Every static URL (path and query), in a stable order: what a static export writes."""
        chunks = [sitemaps.product_chunk_path(n) for n in range(1, sitemaps.product_chunk_count(self.catalog) + 1)]
        listed = sitemaps.page_paths(self.catalog)
        products = [product.path for product in self.catalog.products]
        fixed = [path for path in self._fixed if path not in listed and not path.startswith("/js/")]
        return listed + products + fixed + chunks

    def get_url(self, url: str) -> Document | None:
        """The document for a URL as `urls()` lists it."""
        path, _, query = url.partition("?")
        return self.get(path, query.removeprefix("page=") if query.startswith("page=") else None)


def _page_number(page: str | None) -> int:
    if page is None:
        return 1
    return int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 0


def static_file(url: str) -> str:
    """The file (relative to the export root) holding `url`; list pages' query strings become file names."""
    path, _, query = url.partition("?")
    if path == "/":
        return "index.html"
    if query:
        page = query.removeprefix("page=")
        return f"{path.lstrip('/')}/page-{page}.html"
    return path.lstrip("/")
