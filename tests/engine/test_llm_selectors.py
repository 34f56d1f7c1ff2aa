"""Selectors learned from the LLM: learned once, verified, reused without tokens, relearned when a site changes."""

from __future__ import annotations

import pytest

from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.llm import (
    InMemorySelectorStore,
    LearnedSelectors,
    LlmConfig,
    extract_page,
)
from scrapeflow.engine.llm.hooks import candidate_selectors, looks_generated, semantic_class
from scrapeflow.engine.llm.learning import learn_template
from scrapeflow.workflow.nodes import LlmExtractData
from tests.engine.llm_fixtures import (
    CATALOG,
    LIST_FIELDS,
    PRODUCT_FIELDS,
    REDESIGN,
    config,
    context,
    fake,
    list_page,
    list_row,
    llm_server,
    product_page,
    product_row,
    reviewed,
    unreviewed,
)
from tests.engine.llm_server import FakeLlm

__all__ = ["config", "fake", "llm_server"]  # fixtures


async def test_after_one_llm_page_the_next_20_product_pages_need_no_llm(fake: FakeLlm, config: LlmConfig) -> None:
    first, *others = reviewed(21, start=0)
    async with context(config) as ctx:
        learned = await extract_page(*product_page(first), PRODUCT_FIELDS, ctx)
        assert fake.calls == 1 and learned.paths == dict.fromkeys(product_row(first), "llm")
        assert sorted(learned.learned) == sorted(product_row(first))
        template = learned.selectors.templates[0] if learned.selectors else None
        assert template is not None and template.item_selector is None
        # Steady hooks: microdata properties, not the theme's class names.
        assert template.fields["title"].selector == '[itemprop="name"]'
        assert template.fields["price"].attribute == "content"
        results = [await extract_page(*product_page(product), PRODUCT_FIELDS, ctx) for product in others]
        assert fake.calls == 1
        assert ctx.totals.selector_pages == 20 and ctx.totals.llm_calls == 1
    for product, result in zip(others, results, strict=True):
        assert result.rows == [product_row(product)]
        assert result.paths == dict.fromkeys(product_row(product), "selector")
        assert result.prompt_tokens == result.cost_usd == 0 and not result.llm_used


async def test_a_missing_value_asks_only_for_that_field_then_is_learned_as_optional(
    fake: FakeLlm, config: LlmConfig
) -> None:
    first, second = unreviewed()[:2]
    async with context(config) as ctx:
        await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
        asked = await extract_page(*product_page(first), PRODUCT_FIELDS, ctx)
        assert fake.calls == 2
        schema = fake.requests[1]["response_format"]["json_schema"]["schema"]
        assert list(schema["properties"]["rows"]["items"]["properties"]) == ["rating"]
        assert asked.rows == [product_row(first)]
        assert asked.paths["rating"] == "llm" and asked.paths["title"] == "selector"
        assert any("no longer fits" in line for line in asked.log)
        again = await extract_page(*product_page(second), PRODUCT_FIELDS, ctx)
    assert fake.calls == 2
    assert again.rows == [product_row(second)] and again.paths["rating"] == "selector"


async def test_list_pages_learn_an_item_selector_and_relearn_after_a_redesign(fake: FakeLlm, config: LlmConfig) -> None:
    async with context(config) as ctx:
        first = await extract_page(*list_page(1), LIST_FIELDS, ctx)
        assert first.selectors is not None
        template = first.selectors.templates[0]
        assert template.item_selector == "[data-product-id]"
        assert template.fields["rating"].null_texts == ["No reviews yet"]
        same_theme = await extract_page(*list_page(2), LIST_FIELDS, ctx)
        assert fake.calls == 1 and same_theme.paths == dict.fromkeys(list_row(CATALOG.products[0]), "selector")
        assert same_theme.rows == [list_row(product) for product in CATALOG.page(2)]
        # The redesign renames every class: the items still match, their fields do not, so the LLM is asked again.
        redesigned = await extract_page(*list_page(3, REDESIGN), LIST_FIELDS, ctx)
        assert fake.calls == 2 and set(redesigned.paths.values()) == {"llm"}
        assert redesigned.rows == [list_row(product) for product in REDESIGN.page(3)]
        assert any("matched nothing" in line for line in redesigned.log)
        assert sorted(redesigned.learned) == sorted(list_row(CATALOG.products[0]))
        # Relearned: the next redesigned page needs no LLM, and the old theme's template is still kept.
        later = await extract_page(*list_page(4, REDESIGN), LIST_FIELDS, ctx)
        classic = await extract_page(*list_page(5), LIST_FIELDS, ctx)
    assert fake.calls == 2
    assert later.rows == [list_row(product) for product in REDESIGN.page(4)]
    assert classic.rows == [list_row(product) for product in CATALOG.page(5)]
    assert set(later.paths.values()) == set(classic.paths.values()) == {"selector"}


async def test_redesigned_product_pages_keep_their_microdata_hooks(fake: FakeLlm, config: LlmConfig) -> None:
    first, second = reviewed(2, start=10)
    async with context(config) as ctx:
        await extract_page(*product_page(first), PRODUCT_FIELDS, ctx)
        result = await extract_page(*product_page(REDESIGN.products[second.id - 1], REDESIGN), PRODUCT_FIELDS, ctx)
    assert fake.calls == 1 and result.rows == [product_row(second)]


async def test_a_value_that_fails_its_type_falls_back_to_the_llm(fake: FakeLlm, config: LlmConfig) -> None:
    fields = LlmExtractData.model_validate({"fields": [{"name": "title"}, {"name": "price", "type": "number"}]})
    first, second = reviewed(2, start=20)
    html, url = product_page(second)
    html = html.replace(
        f'<meta itemprop="price" content="{second.price}">', '<meta itemprop="price" content="Call us">'
    )
    async with context(config) as ctx:
        await extract_page(*product_page(first), fields, ctx)
        result = await extract_page(html, url, fields, ctx)
    assert fake.calls == 2
    assert result.paths == {"title": "selector", "price": "llm"}
    assert result.rows == [{"title": second.title, "price": float(second.price)}]
    assert any("`[itemprop=\"price\"]` gave 'Call us', which is not a number" in line for line in result.log)


async def test_selectors_are_kept_per_bot_and_node(fake: FakeLlm, config: LlmConfig) -> None:
    store = InMemorySelectorStore()
    first, second = reviewed(2, start=30)
    async with context(config, selectors=store) as ctx:
        await extract_page(*product_page(first), PRODUCT_FIELDS, ctx)
    assert await store.load(("bot-1", "node-llm")) is not None
    assert await store.load(("bot-2", "node-llm")) is None
    saved = await store.load(("bot-1", "node-llm"))
    assert saved is not None and LearnedSelectors.from_dict(saved.to_dict()) == saved
    async with context(config, selectors=store) as ctx:
        reused = await extract_page(*product_page(second), PRODUCT_FIELDS, ctx)
    assert fake.calls == 1 and reused.paths["price"] == "selector"
    async with context(config, selectors=store, learn_selectors=False) as ctx:
        await extract_page(*product_page(second), PRODUCT_FIELDS, ctx)
    assert fake.calls == 2


def test_learning_verifies_against_the_page() -> None:
    product = CATALOG.products[40]
    doc = PageDocument(*product_page(product))
    row = product_row(product) | {"sku": "SF-XXX-99999", "title": product.title.upper()}
    learning = learn_template(doc, [row], PRODUCT_FIELDS.fields)
    assert learning.template is not None
    assert "sku" not in learning.template.fields and "no element" in learning.notes["sku"]
    assert "title" in learning.template.fields  # case is not a different value


def test_affixes_are_learned_when_no_element_holds_the_value_alone() -> None:
    html = "<html><body><main><p class='brand'>by Acme</p><p class='sku'>SKU: A-1</p></main></body></html>"
    fields = LlmExtractData.model_validate({"fields": [{"name": "brand"}, {"name": "sku"}]}).fields
    learning = learn_template(PageDocument(html, "http://x.test/"), [{"brand": "Acme", "sku": "A-1"}], fields)
    assert learning.template is not None
    brand = learning.template.fields["brand"]
    assert (brand.selector, brand.prefix) == (".brand", "by ")
    assert learning.template.fields["sku"].prefix == "SKU: "


@pytest.mark.parametrize(
    ("name", "generated"),
    [
        ("price", False),
        ("product-title", False),
        ("tile__price", False),
        ("productTitle", False),
        ("css-1x2y3z", True),
        ("sc-bdfBwQ", True),
        ("product-12345", True),
        ("a1b2c3d4", True),
        ("ember123", True),
        ("x", True),
    ],
)
def test_generated_names_are_recognised(name: str, generated: bool) -> None:
    assert looks_generated(name) is generated


def test_utility_classes_are_not_hooks_and_steady_hooks_come_first() -> None:
    assert not semantic_class("mt-4") and not semantic_class("flex") and not semantic_class("md:flex")
    assert semantic_class("price")
    html = (
        "<html><body><div id='main'><span id='p-8731' class='flex price mt-2' data-testid='price' "
        "itemprop='price'>$5</span></div></body></html>"
    )
    doc = PageDocument(html, "http://x.test/")
    node = doc.tree.css_first("span")
    selectors = [hook.selector for hook in candidate_selectors(node, doc.tree)]
    assert selectors[:3] == ['[itemprop="price"]', 'span[itemprop="price"]', '[data-testid="price"]']
    assert ".price" in selectors and ".flex" not in selectors and "#p-8731" not in selectors
    assert "#main .price" in selectors


async def test_product_and_list_pages_of_one_bot_keep_a_template_each(fake: FakeLlm, config: LlmConfig) -> None:
    fields = LlmExtractData.model_validate(
        {"fields": [{"name": "title"}, {"name": "price", "type": "number"}, {"name": "in_stock", "type": "boolean"}]}
    )
    names = ("title", "price", "in_stock")
    products = reviewed(2, start=50)
    async with context(config) as ctx:
        await extract_page(*product_page(products[0]), fields, ctx)
        listed = await extract_page(*list_page(2), fields, ctx)
        assert fake.calls == 2 and any("do not fit this page" in line for line in listed.log)
        assert listed.rows == [{name: list_row(p)[name] for name in names} for p in CATALOG.page(2)]
        product = await extract_page(*product_page(products[1]), fields, ctx)
        other_list = await extract_page(*list_page(3), fields, ctx)
    assert fake.calls == 2
    assert product.rows == [{name: product_row(products[1])[name] for name in names}]
    assert other_list.rows == [{name: list_row(p)[name] for name in names} for p in CATALOG.page(3)]
    assert listed.selectors is not None and len(listed.selectors.templates) == 2


def test_table_rows_are_learned_as_list_items() -> None:
    html = (
        "<html><body><main><table class='results'><thead><tr><th>Name</th><th>Price</th></tr></thead><tbody>"
        "<tr><td>Alpha</td><td>$1.00</td></tr><tr><td>Beta</td><td>$2.50</td></tr><tr><td>Gamma</td><td>$3.75</td></tr>"
        "</tbody></table></main></body></html>"
    )
    fields = LlmExtractData.model_validate({"fields": [{"name": "name"}, {"name": "price", "type": "number"}]}).fields
    rows = [{"name": "Alpha", "price": 1.0}, {"name": "Beta", "price": 2.5}, {"name": "Gamma", "price": 3.75}]
    doc = PageDocument(html, "http://x.test/")
    learning = learn_template(doc, rows, fields)
    assert learning.template is not None and learning.template.item_selector == "tbody > tr"
    assert learning.template.fields["name"].selector == "td"  # the first cell
    assert learning.template.fields["price"].selector == "td:nth-of-type(2)"
    shuffled = learn_template(doc, [rows[1], rows[0], rows[2]], fields)
    assert shuffled.template is None and "could not tell the list's items apart" in shuffled.notes["name"]


def test_ids_that_name_the_page_are_not_learned() -> None:
    html = (
        "<html><body><main><h1 id='oak-desk-lamp' class='product-name'>Oak Desk Lamp</h1>"
        "<span id='price' class='amount'>$5</span></main></body></html>"
    )
    fields = LlmExtractData.model_validate({"fields": [{"name": "title"}, {"name": "price", "type": "number"}]}).fields
    doc = PageDocument(html, "http://x.test/products/oak-desk-lamp.html")
    learning = learn_template(doc, [{"title": "Oak Desk Lamp", "price": 5}], fields)
    assert learning.template is not None
    assert learning.template.fields["title"].selector == ".product-name"
    assert learning.template.fields["price"].selector == "#price"
