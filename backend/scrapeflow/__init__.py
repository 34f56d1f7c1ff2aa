"""ScrapeFlow: no-code web-scraping bots as a self-hostable, multi-tenant service."""

__version__ = "0.1.0"
