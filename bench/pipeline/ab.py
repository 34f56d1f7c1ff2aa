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
import contextlib
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench.*, and through it tests.site

from bench.common.postgres import PG_BASE_URL, create_database, drop_database
from bench.common.shop import BenchError, Nginx, expected_rows, one_page_bot, process_cpu_seconds
from bench.pipeline.run import (
    REDIS_URL,
    CpuMeter,
    Deployment,
    api_client,
    crawler_run,
    create_bot,
    flush_redis,
    log,
    pipeline_crawl,
    sign_up,
    warm_up,
)
from scrapeflow.config import Settings


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
    database = f"scrapeflow_bench_ab_{uuid.uuid4().hex[:8]}"
    create_database(database)
    flush_redis()
    fields = Settings.model_fields  # the settings' own defaults, unless a variant sets them
    dep = Deployment(
        "redis",
        work,
        database_url=f"{PG_BASE_URL}/{database}",
        redis_url=REDIS_URL,
        concurrency=fields["scrape_concurrency"].default,
        batch_size=fields["scrape_batch_size"].default,
    )
    defaults = dict(dep.values)
    expected = expected_rows(size)
    results: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    try:
        dep.migrate()
        async with api_client(dep.settings()) as api:
            headers = await sign_up(api)
            page_bot = await create_bot(api, headers, "one page", one_page_bot(nginx.base_url, next(iter(expected))))
            meter = CpuMeter(dep, nginx, database)
            for number in range(1, rounds + 1):
                engine = crawler_run("engine", number, work, nginx, expected)
                log(f"round {number} engine alone {engine.seconds:.2f} s")
                for variant in variants if number % 2 else variants[::-1]:
                    dep.stop_workers()
                    dep.values = {**defaults, **parse_variant(variant)}
                    dep.wait_workers([dep.start_worker()])
                    await warm_up(api, headers, dep, page_bot, 2)
                    pool = dep.pool_pids()
                    before = sum(process_cpu_seconds(pid) for pid in pool)
                    run = await pipeline_crawl(api, headers, dep, meter, nginx.base_url, expected, 1, number)
                    cpu = sum(process_cpu_seconds(pid) for pid in pool) - before
                    if not run.valid:
                        raise BenchError(f"variant {variant!r}: {run.problems[:3]}")
                    figures = {"seconds": run.seconds, "ratio": engine.seconds / run.seconds, "cpu": cpu}
                    figures |= {"idle": run.seconds - cpu, **run.stages}
                    results[variant].append(figures)
                    log(f"round {number} {variant or '(defaults)'}: {run.seconds:.2f} s, pool CPU {cpu:.2f} s")
    finally:
        dep.stop_workers()
        nginx.stop()
        with contextlib.suppress(psycopg.Error):
            drop_database(database)
        with contextlib.suppress(redis.RedisError):
            flush_redis()
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
