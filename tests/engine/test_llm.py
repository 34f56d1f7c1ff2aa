"""LLM extraction through the real openai SDK against a local chat-completions server: structured output,
long pages in parts, retries, errors, the content-hash cache, tokens and cost."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.extraction.markdown import to_markdown
from scrapeflow.engine.llm import LlmConfig, ModelPrice, estimate_page_cost, extract_page
from scrapeflow.engine.llm.chunks import merge_part_rows, split_markdown
from scrapeflow.engine.llm.config import price_for
from scrapeflow.engine.llm.schema import answer_schema
from tests.engine.llm_fixtures import (
    CATALOG,
    LIST_FIELDS,
    PRODUCT_FIELDS,
    config,
    context,
    fake,
    list_page,
    list_row,
    llm_server,
    product_page,
    product_row,
    reviewed,
)
from tests.engine.llm_server import FakeLlm

__all__ = ["config", "fake", "llm_server"]  # fixtures


async def test_product_page_with_strict_structured_output(fake: FakeLlm, config: LlmConfig) -> None:
    product = reviewed(1)[0]
    async with context(config, learn_selectors=False) as ctx:
        result = await extract_page(*product_page(product), PRODUCT_FIELDS, ctx)
    assert result.rows == [product_row(product)]
    assert result.paths == dict.fromkeys(product_row(product), "llm")
    assert result.llm_used and not result.cached and result.llm_calls == 1
    request = fake.requests[0]
    assert request["model"] == "gpt-4o-mini" and request["temperature"] == 0
    response_format = request["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema == answer_schema(PRODUCT_FIELDS.fields)
    row = schema["properties"]["rows"]["items"]
    assert row["required"] == list(product_row(product)) and row["additionalProperties"] is False
    assert row["properties"]["price"]["type"] == ["number", "null"]
    assert "<page>" in request["messages"][1]["content"] and "<script" not in request["messages"][1]["content"]


async def test_list_page_gives_a_row_per_item(fake: FakeLlm, config: LlmConfig) -> None:
    async with context(config, learn_selectors=False) as ctx:
        result = await extract_page(*list_page(2), LIST_FIELDS, ctx)
    assert result.rows == [list_row(product) for product in CATALOG.page(2)]
    assert fake.calls == 1


async def test_long_list_page_goes_in_parts_and_merges(fake: FakeLlm, config: LlmConfig) -> None:
    small = dataclasses.replace(config, chunk_tokens=250)
    async with context(small, learn_selectors=False) as ctx:
        result = await extract_page(*list_page(1), LIST_FIELDS, ctx)
    assert fake.calls >= 4
    assert all("(part " in request["messages"][1]["content"] for request in fake.requests)
    assert result.rows == [list_row(product) for product in CATALOG.page(1)]
    assert result.llm_calls == fake.calls


async def test_long_product_page_parts_merge_into_one_row(fake: FakeLlm, config: LlmConfig) -> None:
    product = reviewed(1)[0]
    html, url = product_page(product)
    filler = "".join(f"<p>Paragraph {n}: {' '.join(['crafted detail'] * 40)}.</p>" for n in range(30))
    html = html.replace('itemprop="description">', f'itemprop="description">{filler}', 1)
    small = dataclasses.replace(config, chunk_tokens=800)
    async with context(small, learn_selectors=False) as ctx:
        result = await extract_page(html, url, PRODUCT_FIELDS, ctx)
    assert fake.calls >= 3
    assert result.rows == [product_row(product)]


def test_split_and_merge_without_a_server() -> None:
    markdown = "\n\n".join(f"## Item {n}\n\ntext {n} " + "word " * 30 for n in range(10))
    parts = split_markdown(markdown, 60)
    assert len(parts) > 3 and all(len(part) <= 60 * 4 for part in parts)
    assert all(f"## Item {n}" in markdown for n in range(10))
    assert split_markdown("short", 60) == ["short"]
    rows = merge_part_rows(
        [
            [{"title": "A", "price": 1}, {"title": "B", "price": None}],
            [{"title": "B", "price": 2}, {"title": "C", "price": 3}],
            [{"title": "C", "price": 3}],
        ]
    )
    assert rows == [{"title": "A", "price": 1}, {"title": "B", "price": 2}, {"title": "C", "price": 3}]
    single = merge_part_rows([[{"title": "A", "sku": None}], [{"title": None, "sku": "S-1"}], []])
    assert single == [{"title": "A", "sku": "S-1"}]
    articles = merge_part_rows([[{"title": "A"}], [{"title": "B"}]])
    assert articles == [{"title": "A"}, {"title": "B"}]


@pytest.mark.parametrize("bad", ["malformed", "nonsense"])
async def test_a_bad_answer_is_asked_for_again_once(fake: FakeLlm, config: LlmConfig, bad: str) -> None:
    product = reviewed(1)[0]
    fake.script = [bad]
    async with context(config, learn_selectors=False) as ctx:
        result = await extract_page(*product_page(product), PRODUCT_FIELDS, ctx)
    assert result.rows == [product_row(product)]
    assert fake.calls == 2 and result.llm_calls == 2
    retry = fake.requests[1]["messages"]
    assert retry[-2]["role"] == "assistant"
    expected = "not valid JSON" if bad == "malformed" else "is not a number"
    assert expected in retry[-1]["content"]


async def test_two_bad_answers_are_an_llm_error_and_still_counted(fake: FakeLlm, config: LlmConfig) -> None:
    fake.script = ["malformed", "nonsense"]
    async with context(config, learn_selectors=False) as ctx:
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
        assert ctx.totals.llm_calls == 2 and ctx.totals.prompt_tokens > 0
    assert caught.value.code is ErrorCode.LLM_ERROR
    assert "did not fit the fields twice" in caught.value.message


@pytest.mark.parametrize(
    ("status", "words", "retryable"),
    [
        ("500", "failed (HTTP 500)", True),
        ("429", "limiting requests (HTTP 429)", True),
        ("401", "refused the API key", False),
        ("404", "was not found", False),
    ],
)
async def test_http_errors_are_llm_errors(
    fake: FakeLlm, config: LlmConfig, status: str, words: str, retryable: bool
) -> None:
    fake.script = [status]
    async with context(config, learn_selectors=False) as ctx:
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
    assert caught.value.code is ErrorCode.LLM_ERROR
    assert words in caught.value.message and caught.value.status == int(status)
    assert caught.value.retryable is retryable
    assert fake.calls == 1


async def test_sdk_retries_a_transient_error(fake: FakeLlm, config: LlmConfig) -> None:
    fake.script = ["429"]  # Retry-After: 0, so the SDK's retry does not wait
    async with context(dataclasses.replace(config, max_retries=1), learn_selectors=False) as ctx:
        result = await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
    assert fake.calls == 2 and result.llm_calls == 1 and result.rows


async def test_timeout_is_an_llm_error(fake: FakeLlm, config: LlmConfig) -> None:
    fake.script, fake.slow_seconds = ["slow"], 1.0
    async with context(dataclasses.replace(config, timeout_seconds=0.2), learn_selectors=False) as ctx:
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
    assert caught.value.code is ErrorCode.LLM_ERROR and caught.value.retryable
    assert "did not answer within 0.2 s" in caught.value.message


async def test_unreachable_server_is_an_llm_error() -> None:
    dead = LlmConfig(api_key="sk-test", base_url="http://127.0.0.1:9/v1", timeout_seconds=1, max_retries=0)
    async with context(dead, learn_selectors=False) as ctx:
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
    assert caught.value.code is ErrorCode.LLM_ERROR and "Could not reach" in caught.value.message


async def test_refusal_is_an_llm_error(fake: FakeLlm, config: LlmConfig) -> None:
    fake.script = ["refusal"]
    async with context(config, learn_selectors=False) as ctx:
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(reviewed(1)[0]), PRODUCT_FIELDS, ctx)
    assert caught.value.code is ErrorCode.LLM_ERROR and "refused" in caught.value.message


async def test_cut_off_answer_splits_the_page(fake: FakeLlm, config: LlmConfig) -> None:
    fake.script = ["cut_off"]
    async with context(config, learn_selectors=False) as ctx:
        result = await extract_page(*list_page(1), LIST_FIELDS, ctx)
    assert fake.calls == 3
    assert result.rows == [list_row(product) for product in CATALOG.page(1)]


async def test_server_without_strict_schemas_gets_a_json_object_request(fake: FakeLlm, config: LlmConfig) -> None:
    fake.reject_json_schema = True
    product = reviewed(1)[0]
    async with context(config, learn_selectors=False) as ctx:
        first = await extract_page(*product_page(product), PRODUCT_FIELDS, ctx)
        await extract_page(*product_page(reviewed(2)[1]), PRODUCT_FIELDS, ctx)
    assert first.rows == [product_row(product)]
    # One refused request, then JSON-object mode for this page and the next, with the schema in the prompt.
    assert [request["response_format"]["type"] for request in fake.requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]
    assert '"additionalProperties": false' in fake.requests[1]["messages"][1]["content"]
    assert "<page>" in fake.requests[1]["messages"][2]["content"]


async def test_unchanged_content_is_answered_from_the_cache(fake: FakeLlm, config: LlmConfig) -> None:
    product = reviewed(1)[0]
    html, url = product_page(product)
    async with context(config, learn_selectors=False) as ctx:
        first = await extract_page(html, url, PRODUCT_FIELDS, ctx)
        again = await extract_page(html, url, PRODUCT_FIELDS, ctx)
        moved = await extract_page(
            html.replace("</head>", "<meta name=x content=y></head>"), url + "?v=2", PRODUCT_FIELDS, ctx
        )
        assert fake.calls == 1
        assert again.rows == moved.rows == first.rows
        assert again.cached and again.paths == dict.fromkeys(product_row(product), "cache")
        assert again.prompt_tokens == again.llm_calls == 0 and again.cost_usd == 0
        assert ctx.totals.cache_hits == 2 and ctx.totals.llm_calls == 1
        changed = html.replace(product.sku, "SF-NEW-00001")
        await extract_page(changed, url, PRODUCT_FIELDS, ctx)
        assert fake.calls == 2
        instructed = PRODUCT_FIELDS.model_copy(update={"instructions": "Prices without tax."})
        await extract_page(html, url, instructed, ctx)
        assert fake.calls == 3


async def test_tokens_and_cost_are_counted_per_page_and_summed(fake: FakeLlm, config: LlmConfig) -> None:
    products = reviewed(3)
    async with context(config, learn_selectors=False) as ctx:
        results = [await extract_page(*product_page(product), PRODUCT_FIELDS, ctx) for product in products]
    price = price_for("gpt-4o-mini")
    assert price is not None
    for result, request in zip(results, fake.requests, strict=True):
        sent = sum(len(message["content"]) for message in request["messages"])
        assert result.prompt_tokens == -(-sent // 4)  # what the server's `usage` said
        assert result.completion_tokens > 0
        assert result.cost_usd == pytest.approx(price.cost(result.prompt_tokens, result.completion_tokens))
    assert ctx.totals.pages == 3 and ctx.totals.llm_calls == 3
    assert ctx.totals.prompt_tokens == sum(result.prompt_tokens for result in results)
    assert ctx.totals.cost_usd == pytest.approx(sum(result.cost_usd for result in results))
    assert json.dumps(results[0].summary())


async def test_price_overrides_and_unknown_models(fake: FakeLlm, config: LlmConfig) -> None:
    assert price_for("openai/gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("gpt-4.1-mini") != price_for("gpt-4.1")
    assert price_for("my-local-llama") is None
    custom = PRODUCT_FIELDS.model_copy(update={"model": "my-local-llama"})
    async with context(config, learn_selectors=False) as ctx:
        unknown = await extract_page(*product_page(reviewed(1)[0]), custom, ctx)
    assert fake.requests[0]["model"] == "my-local-llama"
    assert unknown.cost_usd == 0 and any("No price is known" in line for line in unknown.log)
    priced = dataclasses.replace(config, prices={"my-local-llama": ModelPrice(prompt=1.0, completion=2.0)})
    async with context(priced, learn_selectors=False) as ctx:
        known = await extract_page(*product_page(reviewed(2)[1]), custom, ctx)
    assert known.cost_usd == pytest.approx((known.prompt_tokens * 1.0 + known.completion_tokens * 2.0) / 1e6)


async def test_cost_cap_stops_before_the_call_that_would_pass_it(fake: FakeLlm, config: LlmConfig) -> None:
    first, second = reviewed(2)
    tokens, cost = estimate_page_cost(*product_page(first)[:1], PRODUCT_FIELDS, config)
    assert tokens > 100 and cost is not None and cost > 0
    async with context(config, learn_selectors=False, max_cost_usd=cost * 1.5) as ctx:
        await extract_page(*product_page(first), PRODUCT_FIELDS, ctx)
        with pytest.raises(EngineError) as caught:
            await extract_page(*product_page(second), PRODUCT_FIELDS, ctx)
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED and fake.calls == 1


async def test_markdown_sends_a_fraction_of_the_html(fake: FakeLlm, config: LlmConfig) -> None:
    html, url = product_page(reviewed(1)[0])
    async with context(config, learn_selectors=False) as ctx:
        result = await extract_page(html, url, PRODUCT_FIELDS, ctx)
    assert len(to_markdown(html)) < 0.25 * len(html)  # the page itself
    assert result.prompt_tokens < 0.5 * len(html) / 4  # with the rules and fields, on a small page
