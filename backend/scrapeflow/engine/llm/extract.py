"""`extract_page`: one page through learned selectors, the cache, the LLM or deterministic extraction."""

from __future__ import annotations

from collections.abc import Sequence

from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.extraction.document import PageDocument
from scrapeflow.engine.extraction.markdown import to_markdown
from scrapeflow.engine.llm.cache import CachedAnswer, cache_key
from scrapeflow.engine.llm.chunks import estimate_tokens
from scrapeflow.engine.llm.client import Usage
from scrapeflow.engine.llm.config import LlmConfig
from scrapeflow.engine.llm.context import FieldPath, LlmContext, LlmPageResult
from scrapeflow.engine.llm.deterministic import extract_deterministic
from scrapeflow.engine.llm.learning import PageIndex, learn_template, same
from scrapeflow.engine.llm.prompt import build_messages
from scrapeflow.engine.llm.schema import Row, convert_rows
from scrapeflow.engine.llm.selectors import (
    MAX_NULL_TEXTS,
    LearnedSelectors,
    PageTemplate,
    TemplateRun,
    read_field,
    run_template,
)
from scrapeflow.workflow.nodes import LlmExtractData, LlmField

ANSWER_TOKENS_PER_FIELD = 12  # a rough allowance for the answer when estimating a page's cost


def _pick(
    doc: PageDocument, learned: LearnedSelectors | None, fields: list[LlmField], log: list[str]
) -> tuple[PageTemplate, TemplateRun] | None:
    """The first template that reads every field, else the single-page template that reads the most."""
    best: tuple[PageTemplate, TemplateRun] | None = None
    failures: list[str] = []
    for template in learned.templates if learned else []:
        run = run_template(doc, template, fields)
        if run.complete and len(run.readable) == len(fields):
            return template, run
        failures += [f"{name}: {why}" for name, why in list(run.failed.items())[:2]]
        settled = len(run.readable) - len(run.failed)
        better = best is None or settled > len(best[1].readable) - len(best[1].failed)
        # Only a page of the same kind: most of the template's fields still fit.
        if template.item_selector is None and settled >= max(1, len(run.failed)) and better:
            best = template, run
    if best is None and failures:
        log.append(f"The learned selectors do not fit this page ({'; '.join(failures[:3])}); asking again.")
    return best


def _combine(settled: Row, rows: list[Row], fields: Sequence[LlmField]) -> list[Row]:
    """The page's rows: the model's (or structured data's) rows with the selectors' page-level values."""
    if not settled:
        return rows
    rows = rows or [{spec.name: None for spec in fields if spec.name not in settled}]
    order = [spec.name for spec in fields]
    return [{name: settled[name] if name in settled else row.get(name) for name in order} for row in rows]


def _learn(
    doc: PageDocument, picked: PageTemplate | None, rows: list[Row], asked: list[LlmField]
) -> tuple[PageTemplate | None, list[str], dict[str, str]]:
    """Learn from the model's rows; returns the template to keep first, the fields learned, and why others weren't."""
    index = PageIndex(doc)
    learning = learn_template(doc, rows, asked, index)
    fresh = learning.template.fields if learning.template else {}
    if picked is not None and picked.item_selector is None and len(rows) <= 1:
        # A single-page template that read some fields: keep those, relearn the rest, and learn
        # from the model's nulls where the old selector found nothing (optional) or a placeholder.
        for spec in asked:
            kept = picked.fields.get(spec.name)
            if spec.name in fresh:
                picked.fields[spec.name] = fresh[spec.name]
            elif kept is not None and kept.type == spec.type and rows and rows[0].get(spec.name) is None:
                reading = read_field(doc.tree, kept, doc.url)
                if not reading.matched:
                    kept.optional = True
                elif reading.raw is not None and len(kept.null_texts) < MAX_NULL_TEXTS:
                    kept.null_texts.append(reading.raw)
                learning.notes.pop(spec.name, None)
        return picked, list(fresh), learning.notes
    return learning.template, list(fresh), learning.notes


def _verified(doc: PageDocument, template: PageTemplate, rows: list[Row], fields: list[LlmField]) -> list[str]:
    """Fields whose selectors do not reproduce `rows` on this page (then they are not kept)."""
    run = run_template(doc, template, fields)
    if len(run.rows) != max(len(rows), 1):
        return list(template.fields)
    wrong = set(run.failed)
    for got, want in zip(run.rows, rows, strict=False):
        wrong |= {
            name for name in run.readable if want.get(name) is not None and not same("", got.get(name), want[name])
        }
    return sorted(wrong)


def _estimate(
    markdown: str, fields: Sequence[LlmField], instructions: str | None, url: str, config: LlmConfig, model: str
) -> tuple[int, float | None]:
    messages = build_messages(fields, markdown, url=url, instructions=instructions)
    tokens = sum(estimate_tokens(str(message.get("content", ""))) for message in messages)
    price = config.price(model)
    return tokens, None if price is None else price.cost(tokens, ANSWER_TOKENS_PER_FIELD * len(fields))


def estimate_page_cost(html: str, data: LlmExtractData, config: LlmConfig, url: str = "") -> tuple[int, float | None]:
    """(prompt tokens, US dollars) the LLM would cost for this page before anything is learned or cached."""
    return _estimate(to_markdown(html), data.fields, data.instructions, url, config, data.model or config.model)


def _check_budget(ctx: LlmContext, markdown: str, data: LlmExtractData, fields: list[LlmField], url: str) -> None:
    if ctx.max_cost_usd is None or ctx.config is None:
        return
    model = data.model or ctx.config.model
    coming = _estimate(markdown, fields, data.instructions, url, ctx.config, model)[1] or 0.0
    if ctx.totals.cost_usd + coming > ctx.max_cost_usd:
        raise EngineError(
            ErrorCode.QUOTA_EXCEEDED,
            f"This execution reached its LLM cost cap of ${ctx.max_cost_usd:.2f} "
            f"(spent ${ctx.totals.cost_usd:.4f}). Raise the cap to extract more pages.",
        )


async def _ask(
    ctx: LlmContext,
    doc: PageDocument,
    markdown: str,
    data: LlmExtractData,
    asked: list[LlmField],
    result: LlmPageResult,
) -> list[Row]:
    """The model's rows for the asked fields: from the cache for unchanged content, else from the LLM."""
    assert ctx.config is not None
    model = data.model or ctx.config.model
    result.model = model
    key = cache_key(markdown, asked, data.instructions, model)
    cached = await ctx.cache.get(key)
    if cached is not None:
        ctx.totals.cache_hits += 1
        result.cached = True
        result.log.append(
            f"Unchanged content: reused the model's earlier answer ({cached.prompt_tokens} tokens saved)."
        )
        return convert_rows(cached.rows, asked, doc.url)
    _check_budget(ctx, markdown, data, asked, doc.url)
    usage = Usage()
    try:
        raw = await ctx.client().extract(
            asked, markdown, url=doc.url, usage=usage, instructions=data.instructions, model=model
        )
    finally:
        cost = ctx.cost(model, usage)
        result.llm_used = True
        result.paid_by = ctx.config.paid_by
        result.llm_calls += usage.calls
        result.prompt_tokens += usage.prompt_tokens
        result.completion_tokens += usage.completion_tokens
        result.cost_usd += cost or 0.0
        ctx.totals.llm_calls += usage.calls
        ctx.totals.prompt_tokens += usage.prompt_tokens
        ctx.totals.completion_tokens += usage.completion_tokens
        ctx.totals.cost_usd += cost or 0.0
        if cost is None:
            result.log.append(f"No price is known for the model {model}: its cost is counted as $0. Set its price.")
    await ctx.cache.set(key, CachedAnswer(raw, model, usage.prompt_tokens, usage.completion_tokens))
    result.log.append(
        f"Asked {model} for {len(asked)} field(s): {usage.calls} request(s), "
        f"{usage.prompt_tokens} + {usage.completion_tokens} tokens, ${cost or 0.0:.6f}."
    )
    return convert_rows(raw, asked, doc.url)


async def extract_page(html: str, url: str, data: LlmExtractData, ctx: LlmContext) -> LlmPageResult:
    """Rows for one page of an `llm_extract` node; see the package docstring for the order of the paths."""
    doc = PageDocument(html, url)
    fields = list(data.fields)
    result = LlmPageResult()
    ctx.totals.pages += 1
    learned = await ctx.selectors.load(ctx.selector_key) if ctx.learn_selectors else None
    picked = _pick(doc, learned, fields, result.log)
    settled: Row = {}
    if picked is not None:
        template, run = picked
        if run.complete and len(run.readable) == len(fields):
            assert learned is not None
            result.rows = run.rows
            result.paths = {spec.name: "selector" for spec in fields}
            result.notes = {spec.name: f"learned selector `{template.fields[spec.name].selector}`" for spec in fields}
            result.log.append(f"Every field came from selectors learned on {template.learned_from}: no LLM call.")
            if learned.templates[0] is not template:
                learned.remember(template)
                await ctx.selectors.save(ctx.selector_key, learned)
            result.selectors = learned
            ctx.totals.selector_pages += 1
            return result
        settled = {name: run.rows[0][name] for name in run.readable if name not in run.failed}
        for name in settled:
            result.paths[name] = "selector"
            result.notes[name] = f"learned selector `{template.fields[name].selector}`"
        for name, why in run.failed.items():
            result.log.append(f"{name}: the learned selector no longer fits ({why}).")
    asked = [spec for spec in fields if spec.name not in settled]
    markdown = to_markdown(html)
    if ctx.config is None:
        found = extract_deterministic(doc, markdown, asked)
        result.rows = _combine(settled, found.rows, fields)
        for spec in asked:
            result.paths[spec.name] = "deterministic" if spec.name in found.found else "none"
            result.notes[spec.name] = found.found.get(spec.name) or found.missing[spec.name]
        result.log.append(
            "No LLM is configured (OPENAI_API_KEY), so the LLM was not used: values come from learned selectors, "
            "structured data (JSON-LD, microdata, meta tags) and labels on the page."
        )
        if found.missing:
            result.log.append("Not found: " + ", ".join(found.missing) + ".")
        ctx.totals.deterministic_pages += 1
        result.selectors = learned
        return result
    rows = await _ask(ctx, doc, markdown, data, asked, result)
    if settled and len(rows) > 1:
        # A single-page template fitted part of a page that lists several items: ask for every field.
        result.log.append("This page lists several items: asking the LLM for every field.")
        settled, asked, picked = {}, fields, None
        result.paths, result.notes = {}, {}
        rows = await _ask(ctx, doc, markdown, data, asked, result)
    path: FieldPath = "cache" if result.cached else "llm"
    for spec in asked:
        result.paths[spec.name] = path
        found_any = any(row.get(spec.name) not in (None, []) for row in rows)
        result.notes[spec.name] = ("the model's cached answer" if result.cached else "asked the LLM") + (
            "" if found_any else "; the model found no value on this page"
        )
    result.rows = _combine(settled, rows, fields)
    if not result.rows:
        result.log.append("The model found no rows on this page.")
    if ctx.learn_selectors:
        await _relearn(ctx, doc, learned, picked[0] if picked else None, rows, asked, fields, result)
    return result


async def _relearn(
    ctx: LlmContext,
    doc: PageDocument,
    learned: LearnedSelectors | None,
    picked: PageTemplate | None,
    rows: list[Row],
    asked: list[LlmField],
    fields: list[LlmField],
    result: LlmPageResult,
) -> None:
    learned = learned or LearnedSelectors()
    template, names, notes = _learn(doc, picked, rows, asked)
    if template is not None:
        for name in _verified(doc, template, result.rows, fields):
            template.fields.pop(name, None)
            names = [kept for kept in names if kept != name]
            notes[name] = "its selector did not reproduce the model's values on this page"
    if template is not None and template.fields:
        learned.remember(template)
        await ctx.selectors.save(ctx.selector_key, learned)
    result.learned = names
    result.selectors = learned
    if names:
        result.log.append(f"Learned selectors for {', '.join(names)}: later pages like this one need no LLM call.")
    for name, why in notes.items():
        result.log.append(f"{name}: no selector learned ({why}); this field will keep using the LLM.")
