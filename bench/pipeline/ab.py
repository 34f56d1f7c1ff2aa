"""A/B of worker settings on the pipeline's 2,000-page crawl: variants alternate crawl by crawl in one run.

The full benchmark (run.py) moves ±15% with this machine from one minute to the next, more than most single
changes do. Here each round runs the engine alone once, as the yardstick, then one crawl per variant (in the
opposite order every other round). Before each crawl the worker (`scrapeflow worker -c 1`, Redis + PostgreSQL,
as in run.py) is restarted with that variant's environment and warmed up.

Per variant it prints the median of: the crawl's seconds (POST execute → `finished_at`), its ratio to the
engine alone in the same rounds, the pool process's CPU seconds, its idle seconds (wall − CPU: time spent
waiting on PostgreSQL, Redis or the hand-over between tasks), and each stage's seconds.

Usage: uv run --frozen python bench/pipeline/ab.py '' 'SCRAPE_BATCH_SIZE=100' [--rounds 4] [--size 2000]
A variant is NAME=VALUE worker settings separated by spaces; '' is the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.*, and through it tests.site

from bench.common.shop import BenchError, CrawlRun, Nginx, expected_rows, one_page_bot, process_cpu_seconds
from bench.pipeline.deployment import (
    CpuMeter,
    Deployment,
    api_client,
    create_bot,
    log,
    scale_out,
    sign_up,
    warm_up,
)
from bench.pipeline.measure import crawler_run, pipeline_crawl
from scrapeflow.config import Settings


async def measured_crawl(
    api: httpx.AsyncClient,
    headers: dict[str, str],
    dep: Deployment,
    meter: CpuMeter,
    nginx: Nginx,
    expected: dict[str, dict[str, Any]],
    engine: CrawlRun,
) -> dict[str, float]:
    """One pipeline crawl: its seconds, its ratio to the engine's crawl of the round, the pool process's CPU
    and idle seconds, and each stage's seconds."""
    pool = dep.pool_pids()
    before = sum(process_cpu_seconds(pid) for pid in pool)
    run = await pipeline_crawl(api, headers, dep, meter, nginx.base_url, expected, 1, engine.round)
    cpu = sum(process_cpu_seconds(pid) for pid in pool) - before
    if not run.valid:
        raise BenchError(f"rows wrong: {run.problems[:3]}")
    figures = {"seconds": run.seconds, "ratio": engine.seconds / run.seconds, "cpu": cpu, "idle": run.seconds - cpu}
    return figures | run.stages


def parse_variant(text: str) -> dict[str, str]:
    values = {}
    for item in text.split():
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise SystemExit(f"a variant is NAME=VALUE settings separated by spaces, not {text!r}")
        values[name] = value
    return values


async def compare(variants: list[str], rounds: int, size: int, work: Path) -> None:
    nginx = Nginx.serve_shop(work, size)
    fields = Settings.model_fields  # the settings' own defaults, unless a variant sets them
    concurrency, batch_size = fields["scrape_concurrency"].default, fields["scrape_batch_size"].default
    expected = expected_rows(size)
    results: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    try:
        with scale_out(work, concurrency=concurrency, batch_size=batch_size) as (dep, database):
            defaults = dict(dep.values)
            async with api_client(dep.settings()) as api:
                headers = await sign_up(api)
                page_workflow = one_page_bot(nginx.base_url, next(iter(expected)))
                page_bot = await create_bot(api, headers, "one page", page_workflow)
                meter = CpuMeter(dep, nginx, database)
                for number in range(1, rounds + 1):
                    engine = crawler_run("engine", number, work, nginx, expected)
                    log(f"round {number} engine alone {engine.seconds:.2f} s")
                    for variant in variants if number % 2 else variants[::-1]:
                        dep.stop_workers()
                        dep.values = {**defaults, **parse_variant(variant)}
                        dep.wait_workers([dep.start_worker()])
                        await warm_up(api, headers, dep, page_bot, 2)
                        results[variant].append(await measured_crawl(api, headers, dep, meter, nginx, expected, engine))
                        log(f"round {number} {variant or '(defaults)'}: {results[variant][-1]['seconds']:.2f} s")
    finally:
        nginx.stop()
    print(f"\nmedians of {rounds} crawl(s) per variant (1 worker process, {size} pages)")
    for variant, runs in results.items():
        names = list(runs[0])
        medians = {name: statistics.median(run[name] for run in runs) for name in names}
        print(f"{variant or '(defaults)'}: " + ", ".join(f"{name} {value:.2f}" for name, value in medians.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="worker settings per variant, e.g. 'SCRAPE_BATCH_SIZE=100'")
    parser.add_argument("--rounds", type=int, default=4, help="crawls per variant (default 4)")
    parser.add_argument("--size", type=int, default=2000, help="products in the shop (default 2000)")
    args = parser.parse_args()
    for variant in args.variants:
        parse_variant(variant)
    work = Path(tempfile.mkdtemp(prefix="scrapeflow-pipeline-ab-"))
    try:
        asyncio.run(compare(args.variants, args.rounds, args.size, work))
    except (BenchError, psycopg.Error, redis.RedisError) as exc:
        log(f"cannot run: {exc}")
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
