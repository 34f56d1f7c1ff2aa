"""The pipeline benchmark's measurements: one crawl as an execution (seconds, stages, CPU, rows checked), one
crawl by the engine alone or Scrapy, and a series of one-page executions. run.py runs them; ab.py compares
worker settings with them."""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common.shop import CrawlRun, Nginx, check_rows, map_bot, run_crawler
from bench.pipeline.deployment import (
    REPO_ROOT,
    STAGES,
    CpuMeter,
    Deployment,
    create_bot,
    epoch,
    execute,
    stage_seconds,
    wait_finished,
)

CRAWL_SCRIPTS = REPO_ROOT / "bench" / "crawl"


@dataclass
class PipelineRun:
    side: str
    round: int
    workers: int
    pages: int
    rows: int
    seconds: float
    """POST execute → `finished_at` (the worker's clock is this machine's)."""
    seen_seconds: float
    """POST execute → the client saw `succeeded` (polling every 0.1 s)."""
    pages_per_second: float
    stages: dict[str, float]
    cpu: dict[str, float]
    valid: bool
    problems: list[str] = field(default_factory=list)


async def pipeline_crawl(
    api: httpx.AsyncClient,
    headers: dict[str, str],
    dep: Deployment,
    meter: CpuMeter,
    base_url: str,
    expected: dict[str, dict[str, Any]],
    workers: int,
    number: int,
) -> PipelineRun:
    # A new bot per run: every run saves 2,000 new rows, none compared with an earlier run's.
    bot_id = await create_bot(api, headers, f"crawl {workers}w round {number}", map_bot(base_url))
    meter.start()
    posted, started = time.time(), time.perf_counter()
    execution_id = await execute(api, headers, bot_id)
    execution = await wait_finished(api, headers, execution_id, 0.1, 900, dep)
    seen = time.perf_counter() - started
    cpu = meter.stop()
    download = await api.get(f"/api/v1/executions/{execution_id}/download", params={"format": "jsonl"}, headers=headers)
    rows = [json.loads(line) for line in download.text.splitlines() if line.strip()]
    problems = check_rows(rows, expected)
    if execution["status"] != "succeeded":
        problems.insert(0, f"execution {execution['status']}: {execution['error_code']} {execution['error_message']}")
    seconds = epoch(execution["finished_at"]) - posted
    pages = int(execution["pages_done"])
    return PipelineRun(
        side=f"pipeline-{workers}w",
        round=number,
        workers=workers,
        pages=pages,
        rows=len(rows),
        seconds=round(seconds, 3),
        seen_seconds=round(seen, 3),
        pages_per_second=pages / seconds,
        stages=stage_seconds(execution),
        cpu=cpu,
        valid=not problems and len(rows) == len(expected),
        problems=problems,
    )


def crawler_run(side: str, number: int, work: Path, nginx: Nginx, expected: dict[str, dict[str, Any]]) -> CrawlRun:
    out = work / f"{side}-{number}.jsonl"
    if side == "engine":
        command = [sys.executable, str(CRAWL_SCRIPTS / "scrapeflow_crawl.py"), nginx.base_url, str(out)]
        command += ["--workflow", "map"]
    else:  # Scrapy, with bench/crawl's settings (CONCURRENT_ITEMS=1 in its favour)
        command = [sys.executable, str(CRAWL_SCRIPTS / "scrapy_crawl.py"), nginx.base_url, str(out)]
        command += ["--sitemap", "--concurrent-items", "1"]
    return run_crawler(side, number, command, out, nginx, expected)


@dataclass
class OnePage:
    broker: str
    runs: int
    seen_ms: list[float]
    """POST execute → the client saw `succeeded` (polling `GET /executions/{id}` every 10 ms)."""
    server_ms: list[float]
    """`created_at` → `finished_at`, as the execution records them."""
    queued_ms: list[float]
    """`created_at` → `started_at`: until the map task began."""
    stages_ms: dict[str, float]
    """Median time of each stage."""
    failed: int

    def summary(self) -> dict[str, float]:
        return {
            "median_ms": statistics.median(self.seen_ms),
            "p95_ms": percentile(self.seen_ms, 95),
            "server_median_ms": statistics.median(self.server_ms),
            "server_p95_ms": percentile(self.server_ms, 95),
            "queued_median_ms": statistics.median(self.queued_ms),
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))]


async def one_page_runs(
    api: httpx.AsyncClient, headers: dict[str, str], dep: Deployment, bot_id: str, runs: int
) -> OnePage:
    seen, server, queued, failed = [], [], [], 0
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for _ in range(runs):
        started = time.perf_counter()
        execution_id = await execute(api, headers, bot_id)
        execution = await wait_finished(api, headers, execution_id, 0.01, 60, dep)
        seen.append((time.perf_counter() - started) * 1000)
        failed += execution["status"] != "succeeded" or execution["rows_count"] != 1
        created = epoch(execution["created_at"])
        server.append((epoch(execution["finished_at"]) - created) * 1000)
        queued.append((epoch(execution["started_at"]) - created) * 1000)
        for stage, seconds in stage_seconds(execution).items():
            stages[stage].append(seconds * 1000)
    return OnePage(
        broker=dep.name,
        runs=runs,
        seen_ms=[round(v, 1) for v in seen],
        server_ms=[round(v, 1) for v in server],
        queued_ms=[round(v, 1) for v in queued],
        stages_ms={stage: round(statistics.median(v), 1) for stage, v in stages.items() if v},
        failed=failed,
    )
