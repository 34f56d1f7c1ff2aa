"""Extraction over the test shop's real pages: CSS and XPath, lists, types, transforms, structured data."""

from __future__ import annotations

from typing import Any

import pytest

from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.fields import loop_scopes, run_extract
from scrapeflow.engine.extraction.markdown import to_markdown
from scrapeflow.engine.extraction.transforms import TransformError, apply
from scrapeflow.engine.extraction.values import parse_date, parse_number, parse_price
from scrapeflow.workflow.nodes import ExtractData, TransformData
from tests.site.catalog import Catalog
from tests.site.pages import render_list, render_product

BASE = "http://shop.test"
CATALOG = Catalog(size=60)


def product_page(index: int = 3) -> PageDocument:
    product = CATALOG.products[index]
    return PageDocument(render_product(CATALOG, product, BASE), f"{BASE}/products/{product.slug}.html")


def list_page(page: int = 1) -> PageDocument:
    return PageDocument(render_list(CATALOG, page, BASE), f"{BASE}/products?page={page}")


def extract(doc: PageDocument, **data: Any) -> list[dict[str, Any]]:
    return run_extract(doc, ExtractData.model_validate(data)).rows


def test_single_page_fields_with_css() -> None:
    product = CATALOG.products[3]
    rows = extract(
        product_page(),
        fields=[
            {"name": "title", "selector": "h1"},
            {"name": "price", "selector": ".offer .price", "type": "price"},
            {"name": "sku", "selector": "dd.sku"},
            {"name": "category_link", "selector": ".breadcrumb a:nth-of-type(2)", "attribute": "href", "type": "url"},
        ],
    )
    assert rows == [
        {
            "title": product.title,
            "price": float(product.price),
            "price_currency": "USD",
            "sku": product.sku,
            "category_link": f"{BASE}/categories/{product.category.slug}?page=1",
        }
    ]


def test_lists_with_fields_relative_to_each_item() -> None:
    doc = list_page()
    rows = extract(
        doc,
        mode="list",
        item_selector="article.product-card",
        fields=[
            {"name": "title", "selector": "h2"},
            {"name": "url", "selector": "a.product-link", "type": "url"},
            {"name": "rating", "selector": ".rating", "attribute": "data-rating", "type": "number"},
            {"name": "old_price", "selector": ".old-price", "type": "price"},
        ],
    )
    first_page = CATALOG.products[:24]
    assert [row["title"] for row in rows] == [p.title for p in first_page]
    assert all(row["url"].startswith(f"{BASE}/products/") for row in rows)
    assert rows[0]["rating"] == 4.2
    assert any(row["old_price"] is None for row in rows)  # only some cards show an old price


def test_xpath_fields_and_items() -> None:
    rows = extract(
        list_page(),
        mode="list",
        item_selector="//article[contains(@class, 'product-card')]",
        item_selector_type="xpath",
        fields=[
            {"name": "title", "selector": ".//h2/a/text()", "selector_type": "xpath"},
            {"name": "id", "selector": "./@data-product-id", "selector_type": "xpath", "type": "number"},
        ],
    )
    assert rows[0] == {"title": CATALOG.products[0].title, "id": 1}
    assert len(rows) == 24


def test_css_and_xpath_agree_on_a_single_page() -> None:
    doc = product_page(7)
    css = extract(doc, fields=[{"name": "v", "selector": ".description p", "multiple": True}])
    xpath = extract(
        doc,
        fields=[{"name": "v", "selector": "//div[@class='description']/p", "selector_type": "xpath", "multiple": True}],
    )
    assert css == xpath
    assert len(css[0]["v"]) == 2


def test_json_ld_and_microdata_are_read() -> None:
    product = CATALOG.products[5]
    doc = product_page(5)
    rows = extract(
        doc,
        fields=[
            {"name": "name", "selector": "Product.name", "selector_type": "jsonld"},
            {"name": "price", "selector": "Product.offers.price", "selector_type": "jsonld", "type": "number"},
            {"name": "brand", "selector": "brand.name", "selector_type": "jsonld"},
        ],
    )
    assert rows == [{"name": product.title, "price": float(product.price), "brand": product.brand}]
    item = doc.microdata[0]
    assert item["@type"] == "Product"
    assert item["name"] == product.title
    assert item["offers"]["price"] == f"{product.price}"


def test_loop_scopes_rows_to_each_element() -> None:
    doc = list_page()
    data = ExtractData.model_validate({"fields": [{"name": "title", "selector": "h2"}]})
    scopes = loop_scopes(doc, "article.product-card", data)
    assert len(run_extract(doc, data, scopes).rows) == 24


def test_missing_fields_are_counted() -> None:
    result = run_extract(
        product_page(), ExtractData.model_validate({"fields": [{"name": "nothing", "selector": ".does-not-exist"}]})
    )
    assert result.rows == [{"nothing": None}]
    assert result.misses == {"nothing": 1}


def test_field_transforms_run_in_order() -> None:
    rows = extract(
        list_page(),
        mode="list",
        item_selector=".product-card",
        fields=[
            {
                "name": "reviews",
                "selector": ".rating",
                "transforms": [
                    {"op": "regex", "pattern": r"\((\d+) reviews?\)", "group": 1},
                    {"op": "cast", "to": "int"},
                    {"op": "default", "value": 0},
                ],
            }
        ],
    )
    assert rows[0]["reviews"] == 13
    assert 0 in {row["reviews"] for row in rows}  # "No reviews yet" → default


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("$1,234.50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("1 234,5", 1234.5),
        ("4.5 out of 5", 4.5),
        ("12", 12),
        ("-3.25", -3.25),
        ("1,234", 1234),
        ("0,99", 0.99),
        ("no digits", None),
        ("1.234.567", 1234567),
    ],
)
def test_numbers(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("$12.34", (12.34, "USD")),
        ("1.234,56 €", (1234.56, "EUR")),
        ("£5", (5, "GBP")),
        ("CHF 19.90", (19.9, "CHF")),
        ("₩12,000", (12000, "KRW")),
        ("42", (42, None)),
    ],
)
def test_prices_with_currency(text: str, price: tuple[float, str | None]) -> None:
    assert parse_price(text) == price


def test_dates() -> None:
    assert parse_date("March 3, 2024") == "2024-03-03"
    assert parse_date("2024-03-03T10:30:00Z") == "2024-03-03T10:30:00+00:00"
    assert parse_date("03/04/2024", "%d/%m/%Y") == "2024-04-03"
    assert parse_date("not a date at all") is None


def test_transform_node_ops_and_catastrophic_patterns_time_out() -> None:
    node = TransformData.model_validate(
        {
            "field": "x",
            "ops": [{"op": "trim"}, {"op": "replace", "pattern": r"\s+", "replacement": "-"}, {"op": "uppercase"}],
        }
    )
    assert apply(node.ops, "  a  b c ") == "A-B-C"
    # `(a|aa)+$` passes the static check but backtracks exponentially; the time limit stops it.
    slow = TransformData.model_validate({"field": "x", "ops": [{"op": "regex", "pattern": "^(a|aa)+$"}]})
    with pytest.raises(TransformError, match="took too long"):
        apply(slow.ops, "a" * 60 + "b")


def test_markdown_keeps_main_content_and_drops_chrome() -> None:
    product = CATALOG.products[3]
    html = product_page().html
    markdown = to_markdown(html)
    assert f"# {product.title}" in markdown
    assert "$27.15" in markdown or str(product.price) in markdown
    assert "ScrapeFlow Test Shop" not in markdown  # header/nav removed
    assert "application/ld+json" not in markdown
    assert len(markdown) < len(html) / 3


def test_typed_json_ld_paths_find_nested_objects() -> None:
    product = next(p for p in CATALOG.products if p.review_count)
    doc = PageDocument(render_product(CATALOG, product, BASE), f"{BASE}/products/{product.slug}.html")
    rows = extract(
        doc,
        fields=[
            {"name": "rating", "selector": "AggregateRating.ratingValue", "selector_type": "jsonld", "type": "number"}
        ],
    )
    assert rows == [{"rating": float(product.rating)}]
