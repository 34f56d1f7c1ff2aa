"""LLM extraction for `llm_extract` nodes, with selectors learned from the LLM's answers.

Entry point::

    async with LlmContext(config=LlmConfig.from_settings(settings), cache=..., selectors=...,
                          selector_key=(bot_id, node_id)) as ctx:
        for page in pages:
            result = await extract_page(page.html, page.url, node_data, ctx)
            result.rows, result.paths, result.notes, result.log, result.charge (who paid, tokens, cost) …
        ctx.totals   # calls, tokens and cost summed over the execution

`extract_page(html, url, data: LlmExtractData, ctx: LlmContext) -> LlmPageResult` takes each
field from the first of these that works, and reports per field which it took
(`result.paths[field]`):

1. **"selector"**: selectors learned from the LLM on an earlier page of the bot (no tokens).
   A template is used only when each of its selectors matches and its value converts to the
   field's type; fields that fail go on to the next step (a list page's fields all do).
2. **"cache"**: the model's earlier answer for the same page content (a hash of the markdown),
   the same fields, instructions and model: an unchanged page costs no tokens.
3. **"llm"**: the page's main content as markdown (about a fifth of the HTML's tokens), in parts
   when long, sent to any OpenAI-compatible server with the fields as a strict JSON Schema
   (`{"rows": [{field: value}]}`, so list pages give a row per item). A bad answer is asked
   for again once; HTTP errors, timeouts and refusals raise `EngineError(LLM_ERROR)`, and a
   page that would pass `ctx.max_cost_usd` raises `QUOTA_EXCEEDED`.
4. **"deterministic"** when no key is configured (`ctx.config` None): JSON-LD, microdata, meta
   tags and labelled values ("Price: $12", definition lists, spec tables); **"none"** when
   nothing names the field, with `result.notes[field]` saying what was tried.

After steps 2 and 3 the engine learns selectors from the rows (see `learning`): for each value
it finds the element that holds it, names it by its steadiest hook (id, itemprop, data-*,
semantic class) and keeps the selector only if re-reading the page with it reproduces the
model's value. They are saved through `ctx.selectors` under `ctx.selector_key`, so the next
page of the same kind needs no LLM call until a selector stops matching; then the LLM is asked
and the selectors relearned.

Persistence is the caller's: `LlmCache` and `SelectorStore` are small async Protocols (the
in-memory implementations here serve tests, test runs and single runs); `CachedAnswer` and
`LearnedSelectors` convert to and from JSON with `to_dict`/`from_dict`.
"""

from scrapeflow.engine.llm.cache import CachedAnswer, InMemoryLlmCache, LlmCache, cache_key
from scrapeflow.engine.llm.config import DEFAULT_PRICES, LlmConfig, ModelPrice, Payer
from scrapeflow.engine.llm.context import FieldPath, LlmCharge, LlmContext, LlmPageResult, UsageTotals
from scrapeflow.engine.llm.extract import estimate_page_cost, extract_page
from scrapeflow.engine.llm.selectors import (
    InMemorySelectorStore,
    LearnedField,
    LearnedSelectors,
    PageTemplate,
    SelectorKey,
    SelectorStore,
)

__all__ = [
    "DEFAULT_PRICES",
    "CachedAnswer",
    "FieldPath",
    "InMemoryLlmCache",
    "InMemorySelectorStore",
    "LearnedField",
    "LearnedSelectors",
    "LlmCache",
    "LlmCharge",
    "LlmConfig",
    "LlmContext",
    "LlmPageResult",
    "ModelPrice",
    "PageTemplate",
    "Payer",
    "SelectorKey",
    "SelectorStore",
    "UsageTotals",
    "cache_key",
    "estimate_page_cost",
    "extract_page",
]
