"""Without an LLM key: learned selectors, then JSON-LD, microdata, meta tags and labels; what is missing is said."""

from __future__ import annotations

import re

import pytest

from scrapeflow.engine.extraction.markdown import to_markdown
from scrapeflow.engine.llm import LlmConfig, extract_page
from scrapeflow.engine.llm.deterministic import concept_for
from scrapeflow.engine.llm.labels import label_pairs
from scrapeflow.workflow.nodes import LlmExtractData, LlmField
from tests.engine.llm_fixtures import (
    PRODUCT_FIELDS,
    config,
    context,
    fake,
    llm_server,
    product_page,
    product_row,
    reviewed,
)
from tests.engine.llm_server import FakeLlm

__all__ = ["config", "fake", "llm_server"]  # fixtures

SHOP_FIELDS = LlmExtractData.model_validate(
    {
        "fields": [
            {"name": "title"},
            {"name": "price", "type": "number"},
            {"name": "price_currency"},
            {"name": "rating", "type": "number"},
            {"name": "review_count", "type": "integer"},
            {"name": "sku"},
            {"name": "brand"},
            {"name": "in_stock", "type": "boolean"},
            {"name": "product_url", "type": "url"},
            {"name": "warranty", "description": "How long the warranty lasts"},
        ]
    }
)


async def test_json_ld_gives_the_product_without_an_llm() -> None:
    product = reviewed(1, start=5)[0]
    async with context(None) as ctx:
        result = await extract_page(*product_page(product), SHOP_FIELDS, ctx)
    assert result.rows == [
        {
            "title": product.title,
            "price": float(product.price),
            "price_currency": product.currency,
            "rating": float(product.rating),
            "review_count": product.review_count,
            "sku": product.sku,
            "brand": product.brand,
            "in_stock": product.in_stock,
            "product_url": f"http://shop.test{product.path}",
            "warranty": None,
        }
    ]
    assert not result.llm_used and result.prompt_tokens == 0
    assert {name: path for name, path in result.paths.items() if path != "deterministic"} == {"warranty": "none"}
    assert result.notes["price"] == "JSON-LD Product.offers.price"
    assert result.notes["rating"] == "JSON-LD Product.aggregateRating.ratingValue"
    assert result.notes["warranty"].startswith("not found: no JSON-LD, microdata, meta tag or label")
    assert any("the LLM was not used" in line for line in result.log)
    assert any(line == "Not found: warranty." for line in result.log)
    assert ctx.totals.deterministic_pages == 1


async def test_microdata_when_the_page_has_no_json_ld() -> None:
    product = reviewed(1, start=6)[0]
    html, url = product_page(product)
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.DOTALL)
    async with context(None) as ctx:
        result = await extract_page(html, url, PRODUCT_FIELDS, ctx)
    assert result.rows == [product_row(product)]
    assert result.notes["title"] == "microdata Product.name"
    assert result.notes["rating"] == "microdata Product.aggregateRating.ratingValue"
    assert set(result.paths.values()) == {"deterministic"}


async def test_labels_tables_and_headings_without_structured_data() -> None:
    html = (
        "<html><head><title>Trail Kettle | Outdoor</title></head><body><main><h1>Trail Kettle</h1>"
        "<p>Price: €12,50</p><p><strong>Weight:</strong> 2 kg</p>"
        "<dl><dt>Material</dt><dd>Titanium</dd><dt>Released</dt><dd>March 3, 2024</dd></dl>"
        "<table><tr><th>Color</th><td>Red</td></tr><tr><th>In stock</th><td>Yes</td></tr></table>"
        "<p>Manual: <a href='/manual.pdf'>download</a></p></main></body></html>"
    )
    fields = LlmExtractData.model_validate(
        {
            "fields": [
                {"name": "name"},
                {"name": "price", "type": "number"},
                {"name": "currency"},
                {"name": "weight"},
                {"name": "material"},
                {"name": "release_date", "type": "date"},
                {"name": "colour", "description": "the color"},
                {"name": "available", "type": "boolean"},
                {"name": "manual", "type": "url"},
                {"name": "rating", "type": "number"},
            ]
        }
    )
    async with context(None) as ctx:
        result = await extract_page(html, "http://kettles.test/trail", fields, ctx)
    assert result.rows == [
        {
            "name": "Trail Kettle",
            "price": 12.5,
            "currency": "EUR",
            "weight": "2 kg",
            "material": "Titanium",
            "release_date": "2024-03-03",
            "colour": None,
            "available": True,
            "manual": "http://kettles.test/manual.pdf",
            "rating": None,
        }
    ]
    assert result.notes["name"] == "the page's main heading"
    assert result.notes["price"] == "the label “Price”"
    assert result.notes["material"] == "the label “Material”"
    assert result.paths["rating"] == result.paths["colour"] == "none"
    assert "a rating" in result.notes["rating"]


async def test_json_ld_lists_give_a_row_per_item() -> None:
    items = "".join(
        f'<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "Product", '
        f'"name": "Lamp {n}", "offers": {{"@type": "Offer", "price": "{n}.50"}}}}</script>'
        for n in range(1, 4)
    )
    html = f'<html><head>{items}<script type="application/ld+json">{{"@type": "WebSite", "name": "Shop"}}</script>'
    html += "</head><body><main><h1>Lamps</h1></main></body></html>"
    fields = LlmExtractData.model_validate({"fields": [{"name": "title"}, {"name": "price", "type": "number"}]})
    async with context(None) as ctx:
        result = await extract_page(html, "http://x.test/lamps", fields, ctx)
    assert result.rows == [{"title": f"Lamp {n}", "price": n + 0.5} for n in range(1, 4)]


async def test_selectors_learned_with_a_key_serve_pages_without_one(fake: FakeLlm, config: LlmConfig) -> None:
    first, second = reviewed(2, start=60)
    with_key = context(config)
    async with with_key:
        await extract_page(*product_page(first), PRODUCT_FIELDS, with_key)
    async with context(None, selectors=with_key.selectors) as ctx:
        result = await extract_page(*product_page(second), PRODUCT_FIELDS, ctx)
    assert result.rows == [product_row(second)]
    assert set(result.paths.values()) == {"selector"} and fake.calls == 1


@pytest.mark.parametrize(
    ("name", "description", "concept"),
    [
        ("product_name", "", "title"),
        ("review_count", "", "reviews"),
        ("price_currency", "", "currency"),
        ("stars", "", "rating"),
        ("imageUrl", "", "image"),
        ("product_url", "", "url"),
        ("product", "", "title"),
        ("SKU", "", "sku"),
        ("published", "", "date"),
        ("x", "the author of the post", "author"),
        ("warranty", "", None),
    ],
)
def test_field_names_map_to_schema_org_concepts(name: str, description: str, concept: str | None) -> None:
    found = concept_for(LlmField(name=name, description=description))
    assert (found.name if found else None) == concept


def test_label_pairs_from_markdown() -> None:
    markdown = to_markdown(
        "<main><p>Price: $3</p><p><b>Size:</b> L</p><dl><dt>SKU</dt><dd>A-1</dd></dl>"
        "<table><thead><tr><th>Model</th><th>Year</th><th>Origin</th></tr></thead>"
        "<tbody><tr><td>TK</td><td>2024</td><td>NO</td></tr></tbody></table></main>"
    )
    assert label_pairs(markdown) == [
        ("Price", "$3"),
        ("Size", "L"),
        ("SKU", "A-1"),
        ("Model", "TK"),
        ("Year", "2024"),
        ("Origin", "NO"),
    ]
