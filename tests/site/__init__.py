"""ScrapeFlow's own deterministic test website, crawled by the engine's tests and benchmarks over real sockets."""

from tests.site.app import SiteApp, create_site
from tests.site.catalog import Catalog, Product
from tests.site.server import nginx_config, serve_site, write_static

__all__ = ["Catalog", "Product", "SiteApp", "create_site", "nginx_config", "serve_site", "write_static"]
