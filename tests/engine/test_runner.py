"""Running plans over the test shop through real sockets: discovery, pagination, following links, post steps."""

from __future__ import annotations

import itertools
from typing import Any

from scrapeflow.engine.discovery import discover, parse_sitemap
from scrapeflow.engine.errors import ErrorCode
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.runner import PageResult, crawl
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.engine.urls import matches, normalise, same_site
from scrapeflow.workflow.compiler import compile_workflow
from scrapeflow.workflow.nodes import MapData
from tests.conftest import SHOP_SIZE
from tests.site.catalog import Catalog

OPTIONS = FetchOptions(allowlist=FetchAllowlist.parse("127.0.0.1"), backoff_base=0.01, backoff_max=0.05)
CATALOG = Catalog(size=SHOP_SIZE)


def workflow(*steps: tuple[str, dict[str, Any]], urls: list[str]) -> dict[str, Any]:
    nodes = [{"id": "start", "type": "start", "data": {"urls": urls}}]
    nodes += [{"id": f"n{i}", "type": kind, "data": data} for i, (kind, data) in enumerate(steps)]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "edges": edges}


PRODUCT_FIELDS = {
    "fields": [
        {"name": "title", "selector": "h1.product-title"},
        {"name": "price", "selector": ".offer .price", "type": "price"},
        {"name": "rating", "selector": "AggregateRating.ratingValue", "selector_type": "jsonld", "type": "number"},
    ]
}


async def run(document: dict[str, Any], **kwargs: Any) -> list[PageResult]:
    async with HttpFetcher(OPTIONS) as fetcher:
        return [result async for result in crawl(fetcher, compile_workflow(document), **kwargs)]


async def test_paginate_then_follow_every_product(shop: str) -> None:
    document = workflow(
        ("paginate", {"next_selector": "a[rel=next]", "max_pages": 50}),
        ("follow", {"selector": "a.product-link"}),
        ("extract", PRODUCT_FIELDS),
        urls=[f"{shop}/products?page=1"],
    )
    results = await run(document, concurrency=8)
    assert all(result.ok for result in results), [r.error for r in results if r.error]
    list_pages = [r for r in results if r.step_index == 0]
    product_pages = [r for r in results if r.step_index == 2]
    assert len(list_pages) == CATALOG.page_count()
    assert len(product_pages) == SHOP_SIZE
    rows = {row["title"]: row for result in product_pages for row in result.rows}
    assert set(rows) == {product.title for product in CATALOG.products}
    sample = CATALOG.products[7]
    assert rows[sample.title]["price"] == float(sample.price)


async def test_list_extraction_with_url_pattern_pagination(shop: str) -> None:
    document = workflow(
        ("paginate", {"url_pattern": f"{shop}/products?page={{page}}", "max_pages": CATALOG.page_count()}),
        (
            "extract",
            {"mode": "list", "item_selector": ".product-card", "fields": [{"name": "title", "selector": "h2"}]},
        ),
        ("dedupe", {"keys": ["title"]}),
        urls=[f"{shop}/products?page=1"],
    )
    results = await run(document)
    titles = [row["title"] for result in results for row in result.rows]
    assert sorted(titles) == sorted(product.title for product in CATALOG.products)


async def test_failed_pages_carry_an_error_code_and_the_run_goes_on(shop: str) -> None:
    document = workflow(("extract", PRODUCT_FIELDS), urls=[f"{shop}/gone", f"{shop}/binary.bin", f"{shop}/redirect/2"])
    results = {result.url: result for result in await run(document)}
    assert results[f"{shop}/gone"].error is not None
    assert results[f"{shop}/gone"].error.code is ErrorCode.HTTP_ERROR
    assert results[f"{shop}/binary.bin"].error is not None
    assert results[f"{shop}/binary.bin"].error.code is ErrorCode.UNSUPPORTED_CONTENT
    assert results[f"{shop}/redirect/2"].rows[0]["title"] == CATALOG.products[0].title


async def test_max_pages_caps_the_run(shop: str) -> None:
    document = workflow(("follow", {"selector": "a.product-link"}), urls=[f"{shop}/products?page=1"])
    assert len(await run(document, max_pages=5)) == 5


async def test_discovery_from_sitemaps_respects_globs_and_limit(shop: str) -> None:
    options = MapData(limit=50, max_depth=0, include=["*/products/*.html"], sitemap=True)
    async with HttpFetcher(OPTIONS) as fetcher:
        found = await discover(fetcher, [f"{shop}/"], options)
    assert len(found) == 50
    assert all(item.source == "sitemap" and item.url.endswith(".html") for item in found)


async def test_discovery_by_links_walks_list_pages_to_reach_products(shop: str) -> None:
    options = MapData(limit=1000, max_depth=3, include=["*/products/*.html"], exclude=["*/private/*"], sitemap=False)
    async with HttpFetcher(OPTIONS) as fetcher:
        found = await discover(fetcher, [f"{shop}/products?page=1"], options)
    urls = {item.url for item in found}
    assert urls == {f"{shop}/products/{product.slug}.html" for product in CATALOG.products}
    assert {item.source for item in found} == {"link"}


def test_url_normalisation() -> None:
    assert (
        normalise("HTTP://Shop.Example.com:80/a?b=2&a=1&utm_source=x&fbclid=y#top")
        == "http://shop.example.com/a?a=1&b=2"
    )
    assert normalise("../p.html", "https://shop.example.com/x/y/") == "https://shop.example.com/x/p.html"
    assert normalise("mailto:me@example.com") is None
    assert normalise("javascript:void(0)") is None
    assert normalise("https://bücher.example/") == "https://xn--bcher-kva.example/"
    assert same_site("https://www.example.com/a", "https://example.com/")
    assert not same_site("https://example.org/a", "https://example.com/")
    assert matches("https://example.com/blog/1", ["/blog/*"], [])
    assert not matches("https://example.com/blog/1", [], ["*/blog/*"])


def test_sitemaps_with_entities_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>&a;</loc></url></urlset>'
    assert parse_sitemap(bomb) == ([], [])
