"""LLM token benchmark: what ScrapeFlow sends an LLM per page, against sending the raw HTML, and what it re-sends.

Over N product pages of the test shop (tests/site, rendered exactly as the site serves them), with a 7-field
`llm_extract` node (title, price, currency, rating, sku, brand, in stock), through the real openai SDK:

1. **Markdown vs HTML.** Every page goes to the LLM once (selector learning off, empty cache). Reported per
   page: tokens of the page text sent (cleaned main-content markdown) against the raw HTML, and the whole
   prompt (rules and fields included) against the same prompt carrying the raw HTML. Tokens are estimated at
   4 characters each on both sides, as the engine sizes requests; the local server reports the same estimate
   as `usage`. Target: page tokens as markdown <= 20% of the HTML's.
2. **Unchanged site.** The same pages again with the same cache: LLM calls made (target: 0).
3. **Learned selectors** (for information): the pages with a fresh cache and selector learning on.

Rows are checked against the catalogue on every run. By default the LLM is a local chat-completions server
(tests/engine/llm_server.py) that answers by reading the markdown; `--base-url/--api-key/--model` point the
run at a real OpenAI-compatible server instead (its `usage` is then the provider's own token count).

Exit status: 0 when both targets pass, 1 when one is missed or rows are wrong, 2 when the benchmark cannot run.

Usage: uv run --frozen python bench/llm_tokens/run.py [--pages 200] [--base-url URL --api-key KEY --model M]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
sys.path.insert(0, str(REPO_ROOT))  # tests.site (the shop) and tests.engine.llm_server (the local LLM)

from scrapeflow.engine.extraction.markdown import to_markdown  # noqa: E402
from scrapeflow.engine.llm import InMemoryLlmCache, LlmConfig, LlmContext, extract_page  # noqa: E402
from scrapeflow.engine.llm.chunks import estimate_tokens  # noqa: E402
from scrapeflow.engine.llm.prompt import build_messages  # noqa: E402
from tests.engine.llm_fixtures import BASE, PRODUCT_FIELDS, product_row  # noqa: E402
from tests.engine.llm_server import serve_llm  # noqa: E402
from tests.site.catalog import Catalog  # noqa: E402
from tests.site.pages import render_product  # noqa: E402

TARGET_PAGE_RATIO = 0.20
TARGET_UNCHANGED_CALLS = 0


@dataclass
class Run:
    name: str
    pages: int
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    seconds: float
    paths: dict[str, int] = field(default_factory=dict)
    wrong_rows: int = 0


def prompt_tokens(text: str) -> int:
    messages = build_messages(PRODUCT_FIELDS.fields, text, url=f"{BASE}/products/x.html")
    return sum(estimate_tokens(str(message.get("content", ""))) for message in messages)


async def run_pages(name: str, pages: list[tuple[str, str, dict[str, Any]]], ctx: LlmContext) -> Run:
    started = time.perf_counter()
    paths: dict[str, int] = {}
    wrong = 0
    for html, url, expected in pages:
        result = await extract_page(html, url, PRODUCT_FIELDS, ctx)
        wrong += result.rows != [expected]
        for path in result.paths.values():
            paths[path] = paths.get(path, 0) + 1
    totals = ctx.totals
    return Run(
        name=name,
        pages=len(pages),
        llm_calls=totals.llm_calls,
        prompt_tokens=totals.prompt_tokens,
        completion_tokens=totals.completion_tokens,
        cost_usd=round(totals.cost_usd, 6),
        seconds=round(time.perf_counter() - started, 3),
        paths=paths,
        wrong_rows=wrong,
    )


async def measure(config: LlmConfig, pages: list[tuple[str, str, dict[str, Any]]]) -> tuple[Run, Run, Run]:
    cache = InMemoryLlmCache()
    async with LlmContext(config=config, cache=cache, learn_selectors=False) as ctx:
        first = await run_pages("every page to the LLM", pages, ctx)
    async with LlmContext(config=config, cache=cache, learn_selectors=False) as ctx:
        unchanged = await run_pages("unchanged site, same cache", pages, ctx)
    async with LlmContext(config=config, selector_key=("bench", "llm")) as ctx:
        learned = await run_pages("fresh cache, learned selectors", pages, ctx)
    return first, unchanged, learned


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="product pages (default 200)")
    parser.add_argument("--base-url", default="", help="a real OpenAI-compatible server instead of the local one")
    parser.add_argument("--api-key", default="sk-local")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/llm_tokens-*.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    catalog = Catalog(size=max(args.pages, 1))
    pages = [(render_product(catalog, p, BASE), f"{BASE}{p.path}", product_row(p)) for p in catalog.products]
    html_tokens = [estimate_tokens(html) for html, _, _ in pages]
    markdown_tokens = [estimate_tokens(to_markdown(html)) for html, _, _ in pages]
    html_prompts = [prompt_tokens(html) for html, _, _ in pages]
    with ExitStack() as stack:
        base_url = args.base_url
        if not base_url:
            _, base_url = stack.enter_context(serve_llm())
        config = LlmConfig(api_key=args.api_key, base_url=base_url, model=args.model, max_retries=1)
        try:
            first, unchanged, learned = asyncio.run(measure(config, pages))
        except Exception as exc:  # the benchmark could not run: say why, exit 2
            print(f"llm_tokens: cannot run: {exc!r}", file=sys.stderr)
            return 2

    n = len(pages)
    page_ratio = sum(markdown_tokens) / sum(html_tokens)
    prompt_ratio = first.prompt_tokens / sum(html_prompts)
    print(f"llm_tokens: {n} product pages of the test shop, 7 fields, model {args.model} at {base_url}")
    print(
        f"  page text per page      markdown {statistics.mean(markdown_tokens):7.0f} tokens   "
        f"raw HTML {statistics.mean(html_tokens):7.0f} tokens   ratio {page_ratio:.1%} "
        f"(target <= {TARGET_PAGE_RATIO:.0%})"
    )
    print(
        f"  whole prompt per page   markdown {first.prompt_tokens / n:7.0f} tokens   "
        f"raw HTML {statistics.mean(html_prompts):7.0f} tokens   ratio {prompt_ratio:.1%}"
    )
    for run in (first, unchanged, learned):
        print(
            f"  {run.name:32} {run.llm_calls:4} LLM calls  {run.prompt_tokens:8} prompt + {run.completion_tokens:6} "
            f"completion tokens  ${run.cost_usd:.4f}  {run.seconds:6.2f} s  paths {run.paths}  "
            f"wrong rows {run.wrong_rows}"
        )
    rows_right = not (first.wrong_rows or unchanged.wrong_rows or learned.wrong_rows)
    passed = page_ratio <= TARGET_PAGE_RATIO and unchanged.llm_calls == TARGET_UNCHANGED_CALLS and rows_right
    print(
        f"  markdown/HTML {page_ratio:.1%} <= {TARGET_PAGE_RATIO:.0%}; unchanged-site LLM calls "
        f"{unchanged.llm_calls} == {TARGET_UNCHANGED_CALLS}; rows right: {rows_right}"
    )
    print("PASS" if passed else "FAIL")

    if not args.no_save:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"llm_tokens-{stamp}.json"
        out.write_text(
            json.dumps(
                {
                    "date": stamp,
                    "settings": {"pages": n, "model": args.model, "server": "local" if not args.base_url else "remote"},
                    "page_tokens": {
                        "markdown_mean": statistics.mean(markdown_tokens),
                        "html_mean": statistics.mean(html_tokens),
                        "ratio": round(page_ratio, 4),
                    },
                    "prompt_tokens": {
                        "markdown_mean": first.prompt_tokens / n,
                        "html_mean": statistics.mean(html_prompts),
                        "ratio": round(prompt_ratio, 4),
                    },
                    "runs": [asdict(run) for run in (first, unchanged, learned)],
                    "passed": passed,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"  wrote {out.relative_to(REPO_ROOT)}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
