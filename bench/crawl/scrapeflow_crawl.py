"""One ScrapeFlow crawl of the benchmark shop, in its own process (started by bench/crawl/run.py).

Pagination over the list pages, then every product page (or, with `--workflow map`, the product pages the
sitemaps list), extracting title, price and rating, rows written as JSON lines. The engine runs with its normal
defaults (politeness, robots.txt, retries, SSRF guard); only 127.0.0.1 is allowlisted, as the tests do.
Prints one JSON summary line on stdout.

Usage: python bench/crawl/scrapeflow_crawl.py BASE_URL OUT.jsonl [--concurrency 16] [--workflow paginate|map]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.common

from bench.common.shop import map_bot, paginate_bot
from scrapeflow.engine.fetch import FetchOptions, HttpFetcher
from scrapeflow.engine.runner import crawl
from scrapeflow.engine.ssrf import FetchAllowlist
from scrapeflow.workflow.compiler import compile_workflow

BOTS = {"paginate": paginate_bot, "map": map_bot}


async def run(base_url: str, out: Path, concurrency: int, workflow: str = "paginate") -> dict[str, Any]:
    plan = compile_workflow(BOTS[workflow](base_url))
    options = FetchOptions(allowlist=FetchAllowlist.parse("127.0.0.1"))
    pages = errors = rows = 0
    first_errors: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    with out.open("w", encoding="utf-8") as sink:
        async with HttpFetcher(options) as fetcher:
            async for result in crawl(fetcher, plan, concurrency=concurrency):
                pages += 1
                if result.error is not None:
                    errors += 1
                    if len(first_errors) < 5:
                        first_errors.append(f"{result.url}: {result.error.code} {result.error}")
                for row in result.rows:
                    sink.write(json.dumps({"url": result.final_url, **row}, ensure_ascii=False) + "\n")
                    rows += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "pages": pages,
        "errors": errors,
        "rows": rows,
        "elapsed": elapsed,
        "cpu": cpu,
        "first_errors": first_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workflow",
        choices=sorted(BOTS),
        default="paginate",
        help="paginate: list pages → product links (bench/crawl); map: the sitemaps' product pages (bench/pipeline)",
    )
    args = parser.parse_args()
    summary = asyncio.run(run(args.base_url.rstrip("/"), args.out, args.concurrency, args.workflow))
    print("BENCH_JSON " + json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
