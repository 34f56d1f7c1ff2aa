"""Shared helpers of the LLM tests: the fake server, configs, the shop's pages and the rows they should give."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scrapeflow.engine.llm import LlmConfig, LlmContext
from scrapeflow.workflow.nodes import LlmExtractData
from tests.engine.llm_server import FakeLlm, serve_llm
from tests.site.catalog import Catalog, Product
from tests.site.pages import render_list, render_product

BASE = "http://shop.test"
CATALOG = Catalog(size=120)
REDESIGN = Catalog(size=120, theme="redesign")

PRODUCT_FIELDS = LlmExtractData.model_validate(
    {
        "fields": [
            {"name": "title", "type": "string", "description": "The product's name"},
            {"name": "price", "type": "number", "description": "The current price"},
            {"name": "currency", "type": "string", "description": "ISO currency code"},
            {"name": "rating", "type": "number", "description": "Average rating out of 5"},
            {"name": "sku", "type": "string"},
            {"name": "brand", "type": "string"},
            {"name": "in_stock", "type": "boolean"},
        ]
    }
)
LIST_FIELDS = LlmExtractData.model_validate(
    {
        "fields": [
            {"name": "title", "type": "string"},
            {"name": "url", "type": "url"},
            {"name": "price", "type": "number"},
            {"name": "rating", "type": "number"},
            {"name": "in_stock", "type": "boolean"},
        ]
    }
)


def product_page(product: Product, catalog: Catalog = CATALOG) -> tuple[str, str]:
    return render_product(catalog, product, BASE), f"{BASE}{product.path}"


def list_page(number: int, catalog: Catalog = CATALOG) -> tuple[str, str]:
    return render_list(catalog, number, BASE), f"{BASE}/products?page={number}"


def product_row(product: Product) -> dict[str, Any]:
    return {
        "title": product.title,
        "price": float(product.price),
        "currency": product.currency,
        "rating": float(product.rating) if product.review_count else None,
        "sku": product.sku,
        "brand": product.brand,
        "in_stock": product.in_stock,
    }


def list_row(product: Product) -> dict[str, Any]:
    return {
        "title": product.title,
        "url": f"{BASE}{product.path}",
        "price": float(product.price),
        "rating": float(product.rating) if product.review_count else None,
        "in_stock": product.in_stock,
    }


def reviewed(count: int, start: int = 1) -> list[Product]:
    return [product for product in CATALOG.products[start:] if product.review_count][:count]


def unreviewed() -> list[Product]:
    return [product for product in CATALOG.products if not product.review_count]


@pytest.fixture(scope="module")
def llm_server() -> Iterator[tuple[FakeLlm, str]]:
    with serve_llm() as served:
        yield served


@pytest.fixture
def fake(llm_server: tuple[FakeLlm, str]) -> FakeLlm:
    server = llm_server[0]
    server.requests.clear()
    server.script.clear()
    server.reject_json_schema = False
    return server


@pytest.fixture
def config(llm_server: tuple[FakeLlm, str]) -> LlmConfig:
    return LlmConfig(api_key="sk-test", base_url=llm_server[1], timeout_seconds=5, max_retries=0)


def context(config: LlmConfig | None, **options: Any) -> LlmContext:
    return LlmContext(config=config, selector_key=("bot-1", "node-llm"), **options)
