"""Pipeline benchmark: the 2,000-product crawl as an execution on Celery, against the engine alone and Scrapy.

The shop (tests/site, 2,000 products) is written as static files and served by one nginx worker, as bench/crawl
does. The bot is start → map (the sitemaps robots.txt names, product pages only) → extract (url, title, price,
rating); every run's 2,000 rows are checked against the catalogue.

1. Pipeline against the engine alone: the bot runs as an execution, from `POST /api/v1/bots/{id}/execute` to
   `succeeded` (the application in this process, on a fresh PostgreSQL database; Redis as broker and result
   backend, a Redis database of its own flushed before and after; `scrapeflow worker -c 1` processes), against
   `engine.runner.crawl` running the same bot in one process (bench/crawl/scrapeflow_crawl.py --workflow map).
   Target: pipeline (one worker process) / engine pages/s >= 0.7.
2. One worker process against two (`scrapeflow worker -c 1`, started once and then twice), and the pipeline with
   two against single-process Scrapy crawling the same sitemaps (bench/crawl/scrapy_crawl.py --sitemap).
   Target: pipeline (two worker processes) / Scrapy pages/s >= 1.0.
3. A one-page execution end to end, POST execute → `succeeded` seen by a client polling every 10 ms: median and
   p95 over 50 runs on Redis + PostgreSQL and on the embedded broker (SQLite + the filesystem broker).
   Target: median <= 300 ms on Redis.

Exit status: 0 when every target passes, 1 when one is missed or rows are wrong, 2 when the benchmark cannot run.
Results go to bench/results/pipeline-<UTC timestamp>.json (gitignored).

Usage: uv run --frozen python bench/pipeline/run.py [--rounds 2] [--size 2000] [--one-page-runs 50] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psycopg
import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
sys.path.insert(0, str(REPO_ROOT))  # bench.common, and through it tests.site

from bench.common.shop import (  # noqa: E402
    BenchError,
    CrawlRun,
    Nginx,
    ensure_scrapy,
    expected_rows,
    one_page_bot,
)
from bench.pipeline.deployment import (  # noqa: E402
    STAGES,
    CpuMeter,
    Deployment,
    api_client,
    create_bot,
    log,
    scale_out,
    sign_up,
    warm_up,
)
from bench.pipeline.measure import OnePage, PipelineRun, crawler_run, one_page_runs, pipeline_crawl  # noqa: E402
from bench.pipeline.pool_profile import profile_workers, summarize_profile  # noqa: E402

TARGET_ENGINE_RATIO = 0.7
TARGET_SCRAPY_RATIO = 1.0
TARGET_ONE_PAGE_MS = 300.0


# -- main -------------------------------------------------------------------------------------------------------


def median_of(runs: list[Any], name: str) -> float:
    return float(statistics.median(getattr(run, name) for run in runs))


def side_summary(runs: list[Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "runs": len(runs),
        "pages": runs[0].pages,
        "valid": all(run.valid for run in runs),
        "seconds": median_of(runs, "seconds"),
        "pages_per_second": median_of(runs, "pages_per_second"),
    }
    if isinstance(runs[0], PipelineRun):
        summary["stages"] = {
            stage: float(statistics.median(run.stages.get(stage, 0.0) for run in runs)) for stage in STAGES
        }
        summary["cpu"] = {name: float(statistics.median(run.cpu[name] for run in runs)) for name in runs[0].cpu}
    else:
        summary["cpu_seconds"] = median_of(runs, "cpu_seconds")
        summary["nginx_cpu_share_max"] = max(run.nginx_cpu_share for run in runs)
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000, help="products in the shop (default 2000)")
    parser.add_argument("--rounds", type=int, default=2, help="crawls per side and worker count (default 2)")
    parser.add_argument("--one-page-runs", type=int, default=50, help="one-page executions per broker (default 50)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="SCRAPE_CONCURRENCY of the workers (default 16, the default)"
    )
    parser.add_argument(
        "--embedded-c1-runs",
        type=int,
        default=5,
        help="one-page executions on the embedded broker with `worker -c 1` (default 5; each takes ~10 s)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=250, help="SCRAPE_BATCH_SIZE of the workers (default 250, the default)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also record the pool processes with py-spy during one more crawl each"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (site, rows, worker logs)")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, nginx: Nginx) -> None:
        self.args, self.work, self.nginx = args, work, nginx
        self.expected = expected_rows(args.size)
        self.crawler_runs: list[CrawlRun] = []
        self.pipeline_runs: list[PipelineRun] = []
        self.one_page: dict[str, OnePage] = {}
        self.profiles: dict[str, str] = {}
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def crawler(self, side: str, number: int) -> None:
        run = crawler_run(side, number, self.work, self.nginx, self.expected)
        self.crawler_runs.append(run)
        log(
            f"round {number} {side:<12} {run.pages} pages in {run.seconds:6.2f} s = {run.pages_per_second:6.1f} "
            f"pages/s, CPU {run.cpu_seconds:5.2f} s, nginx {run.nginx_cpu_share:4.0%}, rows {run.rows} "
            + ("ok" if run.valid else f"WRONG: {run.problems[:3]}")
        )

    async def pipeline(
        self, api: httpx.AsyncClient, headers: dict[str, str], dep: Deployment, meter: CpuMeter, workers: int, n: int
    ) -> None:
        run = await pipeline_crawl(api, headers, dep, meter, self.nginx.base_url, self.expected, workers, n)
        self.pipeline_runs.append(run)
        stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in run.stages.items())
        cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in run.cpu.items())
        log(
            f"round {n} {run.side:<12} {run.pages} pages in {run.seconds:6.2f} s = {run.pages_per_second:6.1f} "
            f"pages/s (seen after {run.seen_seconds:.2f} s), rows {run.rows} "
            + ("ok" if run.valid else f"WRONG: {run.problems[:3]}")
        )
        log(f"    stages (s): {stages}")
        log(f"    CPU s: {cpu}")

    async def crawl_rounds(
        self, api: httpx.AsyncClient, headers: dict[str, str], dep: Deployment, meter: CpuMeter, workers: int
    ) -> None:
        for number in range(1, self.args.rounds + 1):
            sides = ["engine", "scrapy", "pipeline"]
            if number % 2 == 0:
                sides.reverse()
            for side in sides:
                if side == "pipeline":
                    await self.pipeline(api, headers, dep, meter, workers, number)
                else:
                    self.crawler(side, len([r for r in self.crawler_runs if r.side == side]) + 1)

    async def profile(
        self, api: httpx.AsyncClient, headers: dict[str, str], dep: Deployment, meter: CpuMeter, workers: int
    ) -> None:
        seconds = max(r.seconds for r in self.pipeline_runs if r.workers == workers) + 2
        out_dir = RESULTS_DIR / f"pipeline-{self.stamp}-profile-{workers}w"
        records = profile_workers(dep, seconds, out_dir)
        await asyncio.sleep(1.0)  # py-spy attaches
        run = await pipeline_crawl(
            api, headers, dep, meter, self.nginx.base_url, self.expected, workers, self.args.rounds + 1
        )
        for record in records:
            record.wait(timeout=120)
        summary = summarize_profile(sorted(out_dir.glob("pool-*.txt")))
        self.profiles[f"{workers}w"] = summary
        log(f"profile of a {workers}-worker crawl under py-spy ({run.pages_per_second:.0f} pages/s while sampled):")
        print(summary, flush=True)
        log(f"collapsed stacks in {out_dir.relative_to(REPO_ROOT)}")

    async def scale_out(self) -> None:
        with scale_out(self.work, concurrency=self.args.concurrency, batch_size=self.args.batch_size) as (dep, db):
            meter = CpuMeter(dep, self.nginx, db)
            async with api_client(dep.settings()) as api:
                headers = await sign_up(api)
                page_bot = await create_bot(api, headers, "one page", self.one_page_workflow())
                dep.wait_workers([dep.start_worker()])
                log("one worker process (`scrapeflow worker -c 1`) ready; warming up")
                await warm_up(api, headers, dep, page_bot, 2)
                self.one_page["redis"] = await one_page_runs(api, headers, dep, page_bot, self.args.one_page_runs)
                self.print_one_page(self.one_page["redis"])
                await self.crawl_rounds(api, headers, dep, meter, 1)
                if self.args.profile:
                    await self.profile(api, headers, dep, meter, 1)
                dep.wait_workers([dep.start_worker()])
                log("a second worker process ready; warming up")
                await warm_up(api, headers, dep, page_bot, 4)
                await self.crawl_rounds(api, headers, dep, meter, 2)
                if self.args.profile:
                    await self.profile(api, headers, dep, meter, 2)

    async def embedded(self) -> None:
        """One-page executions on SQLite and the filesystem broker: with `scrapeflow worker -c 2` (what
        `scrapeflow run` starts on this 2-core machine: one pool process per core), then a few with `-c 1`."""
        for concurrency, runs in ((2, self.args.one_page_runs), (1, self.args.embedded_c1_runs)):
            if runs <= 0:
                continue
            name = f"embedded-c{concurrency}"
            data = self.work / f"data-{name}"
            data.mkdir(parents=True, exist_ok=True)
            dep = Deployment(
                name,
                self.work,
                database_url=f"sqlite:///{(data / 'scrapeflow.db').as_posix()}",
                redis_url="",
                concurrency=self.args.concurrency,
                batch_size=self.args.batch_size,
            )
            try:
                log(f"embedded: SQLite and the filesystem broker, `scrapeflow worker -c {concurrency}`; migrating")
                dep.migrate()
                async with api_client(dep.settings()) as api:
                    headers = await sign_up(api)
                    page_bot = await create_bot(api, headers, "one page", self.one_page_workflow())
                    dep.wait_workers([dep.start_worker(concurrency)])
                    log("worker ready; warming up")
                    await warm_up(api, headers, dep, page_bot, 2)
                    self.one_page[name] = await one_page_runs(api, headers, dep, page_bot, runs)
                    self.print_one_page(self.one_page[name])
            finally:
                dep.stop_workers()

    def one_page_workflow(self) -> dict[str, Any]:
        return one_page_bot(self.nginx.base_url, next(iter(self.expected)))

    @staticmethod
    def print_one_page(result: OnePage) -> None:
        s = result.summary()
        stages = ", ".join(f"{stage} {ms:.0f}" for stage, ms in result.stages_ms.items())
        log(
            f"one-page execution on {result.broker}: median {s['median_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms "
            f"(recorded by the execution: median {s['server_median_ms']:.0f} ms, p95 {s['server_p95_ms']:.0f} ms; "
            f"queued {s['queued_median_ms']:.0f} ms; stages (ms) {stages}); {result.failed} failed"
        )

    def report(self) -> bool:
        sides: dict[str, dict[str, Any]] = {}
        for side in ("engine", "scrapy"):
            sides[side] = side_summary([run for run in self.crawler_runs if run.side == side])
        for workers in (1, 2):
            sides[f"pipeline-{workers}w"] = side_summary([r for r in self.pipeline_runs if r.workers == workers])
        engine, scrapy = sides["engine"]["pages_per_second"], sides["scrapy"]["pages_per_second"]
        one, two = sides["pipeline-1w"]["pages_per_second"], sides["pipeline-2w"]["pages_per_second"]
        ratios = {
            "pipeline_1w_vs_engine": one / engine,
            "pipeline_2w_vs_engine": two / engine,
            "pipeline_2w_vs_1w": two / one,
            "pipeline_2w_vs_scrapy": two / scrapy,
            "engine_vs_scrapy": engine / scrapy,
        }
        valid = all(side["valid"] for side in sides.values())
        redis_page = self.one_page["redis"].summary()
        embedded_page = self.one_page["embedded-c2"].summary()
        failed_pages = sum(result.failed for result in self.one_page.values())
        checks = {
            "pipeline_vs_engine": ratios["pipeline_1w_vs_engine"] >= TARGET_ENGINE_RATIO,
            "pipeline_2w_vs_scrapy": ratios["pipeline_2w_vs_scrapy"] >= TARGET_SCRAPY_RATIO,
            "one_page_median_redis": redis_page["median_ms"] <= TARGET_ONE_PAGE_MS,
            "rows_right": valid and failed_pages == 0,
        }
        print()
        print(f"{'median':<16}{'runs':>5}{'pages':>7}{'seconds':>9}{'pages/s':>9}")
        for name, side in sides.items():
            print(
                f"{name:<16}{side['runs']:>5}{side['pages']:>7}{side['seconds']:>9.2f}{side['pages_per_second']:>9.1f}"
            )
        for workers in (1, 2):
            side = sides[f"pipeline-{workers}w"]
            stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in side["stages"].items())
            cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in side["cpu"].items())
            print(f"pipeline {workers} worker(s), stage seconds: {stages}")
            print(f"pipeline {workers} worker(s), CPU seconds: {cpu}")
        print()
        print(
            f"pipeline (1 worker process) / engine alone: {ratios['pipeline_1w_vs_engine']:.2f} "
            f"(target >= {TARGET_ENGINE_RATIO}) {'PASS' if checks['pipeline_vs_engine'] else 'FAIL'}"
        )
        print(f"pipeline 2 worker processes / 1:         {ratios['pipeline_2w_vs_1w']:.2f}")
        print(f"pipeline (2 worker processes) / engine:   {ratios['pipeline_2w_vs_engine']:.2f}")
        print(
            f"pipeline (2 worker processes) / Scrapy:   {ratios['pipeline_2w_vs_scrapy']:.2f} "
            f"(target >= {TARGET_SCRAPY_RATIO}) {'PASS' if checks['pipeline_2w_vs_scrapy'] else 'FAIL'}"
        )
        print(f"engine alone / Scrapy (sitemap crawl):    {ratios['engine_vs_scrapy']:.2f}")
        print(
            f"one-page execution, Redis + PostgreSQL:   median {redis_page['median_ms']:.0f} ms, "
            f"p95 {redis_page['p95_ms']:.0f} ms (target median <= {TARGET_ONE_PAGE_MS:g} ms) "
            f"{'PASS' if checks['one_page_median_redis'] else 'FAIL'}"
        )
        print(
            f"one-page execution, embedded broker:      median {embedded_page['median_ms']:.0f} ms, "
            f"p95 {embedded_page['p95_ms']:.0f} ms (worker -c 2)"
        )
        if "embedded-c1" in self.one_page:
            c1 = self.one_page["embedded-c1"].summary()
            print(
                f"one-page execution, embedded, -c 1:       median {c1['median_ms']:.0f} ms, p95 {c1['p95_ms']:.0f} ms"
            )
        if not checks["rows_right"]:
            print("rows WRONG or executions failed: see the runs above  FAIL")
        print(f"host load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        passed = all(checks.values())
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        result_file = RESULTS_DIR / f"pipeline-{self.stamp}.json"
        result_file.write_text(
            json.dumps(
                {
                    "benchmark": "pipeline",
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
                    "settings": {k: v for k, v in vars(self.args).items() if k != "keep"},
                    "targets": {
                        "pipeline_vs_engine": TARGET_ENGINE_RATIO,
                        "pipeline_2w_vs_scrapy": TARGET_SCRAPY_RATIO,
                        "one_page_median_ms_redis": TARGET_ONE_PAGE_MS,
                    },
                    "checks": checks,
                    "passed": passed,
                    "ratios": ratios,
                    "sides": sides,
                    "one_page": {name: {**r.summary(), **asdict(r)} for name, r in self.one_page.items()},
                    "crawler_runs": [asdict(run) for run in self.crawler_runs],
                    "pipeline_runs": [asdict(run) for run in self.pipeline_runs],
                    "profiles": self.profiles,
                },
                indent=2,
            )
            + "\n"
        )
        log(f"results written to {result_file.relative_to(REPO_ROOT)}")
        print(f"pipeline: {'PASS' if passed else 'FAIL'}")
        return passed


async def run(args: argparse.Namespace, work: Path) -> bool:
    nginx: Nginx | None = None
    try:
        ensure_scrapy(log)
        log(f"writing the {args.size}-product shop to {work / 'site'}")
        nginx = Nginx.serve_shop(work, args.size)
        load = os.getloadavg()[0]
        log(f"nginx (1 worker) serving {nginx.base_url}; load average {load:.1f} on {os.cpu_count()} CPUs")
        bench = Bench(args, work, nginx)
        await bench.scale_out()
        await bench.embedded()
        return bench.report()
    finally:
        if nginx is not None:
            nginx.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    work = Path(tempfile.mkdtemp(prefix="scrapeflow-pipeline-bench-"))
    try:
        return 0 if asyncio.run(run(args, work)) else 1
    except (BenchError, subprocess.CalledProcessError, psycopg.Error, redis.RedisError) as exc:
        log(f"cannot run: {exc}")
        return 2
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
