"""The same crawl with Scrapy, in its own process (started by bench/crawl/run.py): the baseline.

A plain spider as a Scrapy user would write it: the list page yields a request per product link and one for
the `rel=next` link; the product page yields title, price (the three styles the shop prints) and the JSON-LD
rating. Rows go to a JSON lines feed export. Settings are Scrapy's defaults except what a fair comparison
needs: log level INFO, robots.txt obeyed (our default too), the same bot user agent, no autothrottle, no HTTP
cache, telnet console off, and CONCURRENT_ITEMS lowered in Scrapy's favour: Scrapy 2.13+ starts
CONCURRENT_ITEMS asyncio tasks to process every response's output, so its default of 100 makes this crawl
execute ~60% more instructions than with 1 (valgrind: 29.9 G vs 18.8 G; 20.4 G with 16). This spider's
callbacks are synchronous and there are no item pipelines, so 1 loses Scrapy nothing; run.py passes 1.
CONCURRENT_REQUESTS_PER_DOMAIN stays at 8, the same cap as ScrapeFlow's politeness default.
Prints one JSON summary line on stdout.

With `--sitemap` it crawls what bench/pipeline's bot maps instead: the product pages listed in the sitemaps that
robots.txt names (Scrapy's SitemapSpider).

Usage: python bench/crawl/scrapy_crawl.py BASE_URL OUT.jsonl [--concurrency 16] [--concurrent-items 100] [--sitemap]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.spiders import SitemapSpider

# The user agent ScrapeFlow's fetcher sends (scrapeflow.engine.fetch.DEFAULT_USER_AGENT).
USER_AGENT = "Mozilla/5.0 (compatible; ScrapeFlowBot/0.1)"
NUMBER = re.compile(r"\d[\d.,]*")


def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """'$1,234.56', '€1,234.56' and '1.234,56 €' → (1234.56, currency)."""
    if not text:
        return None, None
    match = NUMBER.search(text)
    if match is None:
        return None, None
    digits = match.group(0).rstrip(".,")
    if digits.rfind(",") > digits.rfind("."):  # comma decimals
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", "")
    currency = "USD" if "$" in text else "EUR" if "€" in text else None
    return float(digits), currency


def json_ld_rating(response: Response) -> float | None:
    for block in response.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            rating = item.get("aggregateRating") if isinstance(item, dict) else None
            if isinstance(rating, dict) and rating.get("ratingValue") is not None:
                return float(rating["ratingValue"])
    return None


class ShopSpider(scrapy.Spider):
    name = "shop"

    def __init__(self, base_url: str, counters: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [f"{base_url}/products?page=1"]
        self.counters = counters

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        self.counters["list_pages"] += 1
        for href in response.css("a.product-link::attr(href)").getall():
            yield response.follow(href, callback=self.parse_product)
        next_page = response.css("a[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse)

    def parse_product(self, response: Response) -> Iterator[dict[str, Any]]:
        self.counters["product_pages"] += 1
        price, currency = parse_price(response.css(".offer .price::text").get())
        title = response.css("h1.product-title::text").get()
        yield {
            "url": response.url,
            "title": " ".join(title.split()) if title else None,
            "price_currency": currency,
            "price": price,
            "rating": json_ld_rating(response),
        }


class ShopSitemapSpider(SitemapSpider):
    """The sitemap job of bench/pipeline: every product page the sitemaps (named in robots.txt) list."""

    name = "shop-sitemap"
    sitemap_rules: ClassVar[list[tuple[str, str]]] = [("/products/", "parse_product")]

    def __init__(self, base_url: str, counters: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = [f"{base_url}/robots.txt"]
        self.counters = counters

    parse_product = ShopSpider.parse_product


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--concurrent-items", type=int, default=100, help="Scrapy's CONCURRENT_ITEMS (default 100)")
    parser.add_argument("--sitemap", action="store_true", help="crawl the sitemaps' product pages, not the lists")
    args = parser.parse_args()
    settings = {
        "LOG_LEVEL": "INFO",
        "CONCURRENT_REQUESTS": args.concurrency,
        # CONCURRENT_REQUESTS_PER_DOMAIN stays at Scrapy's default (8), like ScrapeFlow's per-domain cap.
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": USER_AGENT,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_ITEMS": args.concurrent_items,
        "FEEDS": {args.out.as_uri(): {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
    }
    counters = {"list_pages": 0, "product_pages": 0}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ShopSitemapSpider if args.sitemap else ShopSpider)
    started = time.perf_counter()
    process.crawl(crawler, base_url=args.base_url.rstrip("/"), counters=counters)
    process.start()
    total = time.perf_counter() - started
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    summary = {
        "pages": counters["list_pages"] + counters["product_pages"],
        "list_pages": counters["list_pages"],
        "product_pages": counters["product_pages"],
        "responses": stats.get("downloader/response_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "rows": stats.get("item_scraped_count", 0),
        # Spider opened → closed (feed file closed), as Scrapy measures it; `started_to_stopped` adds the reactor.
        "elapsed": float(stats.get("elapsed_time_seconds", total)),
        "started_to_stopped": total,
    }
    print("BENCH_JSON " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
