"""Crawl benchmark: ScrapeFlow's engine against Scrapy on the same 2,000-product shop served by nginx.

Writes the test shop (tests/site) as static files into a temp dir, serves it with one nginx worker on a free
loopback port, then crawls it alternately with ScrapeFlow (bench/crawl/scrapeflow_crawl.py) and Scrapy
(bench/crawl/scrapy_crawl.py), each in its own process: list pages through the `rel=next` link, every product
page, title + price + JSON-LD rating per product, rows written as JSON lines. Every run's rows are checked
against the catalogue (2,000 rows, every title, price, currency and rating right).

Reported per side (median over the rounds): pages fetched, crawl wall time, pages/s, peak RSS and CPU
seconds of the crawling process; then the ratio ScrapeFlow / Scrapy pages/s against the target (>= 1.2).
nginx's CPU share during each crawl is printed, to show it is not the bottleneck.

Exit status: 0 when the target passes, 1 when it is missed or rows are wrong, 2 when the benchmark cannot run.

Usage: uv run --frozen --group bench python bench/crawl/run.py [--rounds 3] [--size 2000] [--concurrency 16]
(`scripts/bench crawl` runs it; the script installs the `bench` dependency group itself if Scrapy is missing.)
"""

from __future__ import annotations

import argparse
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

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
sys.path.insert(0, str(REPO_ROOT))  # bench.common, and through it tests.site

from bench.common.shop import (  # noqa: E402
    BenchError,
    CrawlRun,
    Nginx,
    ensure_scrapy,
    expected_rows,
    run_crawler,
)

TARGET_RATIO = 1.2
SIDES = ("scrapeflow", "scrapy")
SCRIPTS = {"scrapeflow": HERE / "scrapeflow_crawl.py", "scrapy": HERE / "scrapy_crawl.py"}


def log(message: str) -> None:
    print(f"[crawl] {message}", flush=True)


def crawl_once(side: str, number: int, args: argparse.Namespace, nginx: Nginx, work: Path, expected: Any) -> CrawlRun:
    out = work / f"{side}-{number}.jsonl"
    command = [sys.executable, str(SCRIPTS[side]), nginx.base_url, str(out), "--concurrency", str(args.concurrency)]
    if side == "scrapy":
        command += ["--concurrent-items", str(args.scrapy_concurrent_items)]
    return run_crawler(side, number, command, out, nginx, expected)


def median_of(runs: list[CrawlRun], name: str) -> float:
    return float(statistics.median(getattr(run, name) for run in runs))


def summarise(runs: list[CrawlRun]) -> dict[str, Any]:
    return {
        "runs": len(runs),
        "pages": runs[0].pages,
        "rows": [run.rows for run in runs],
        "valid": all(run.valid for run in runs),
        "seconds": median_of(runs, "seconds"),
        "pages_per_second": median_of(runs, "pages_per_second"),
        "peak_rss_mb": median_of(runs, "peak_rss_mb"),
        "cpu_seconds": median_of(runs, "cpu_seconds"),
        "pages_per_cpu_second": float(statistics.median(run.pages / run.cpu_seconds for run in runs)),
        "nginx_cpu_share_max": max(run.nginx_cpu_share for run in runs),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000, help="products in the shop (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="crawls per side, alternating (default 3)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per crawler (default 16)")
    parser.add_argument(
        "--scrapy-concurrent-items",
        type=int,
        default=1,
        help="Scrapy's CONCURRENT_ITEMS (default 1, Scrapy's fastest here; its own default, 100, starts 100 "
        "asyncio tasks per response and costs it ~60%% more instructions)",
    )
    parser.add_argument("--target", type=float, default=TARGET_RATIO, help="ScrapeFlow/Scrapy pages/s to pass")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (site, rows, logs) for inspection")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: nginx stopped, temp dir removed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    work = Path(tempfile.mkdtemp(prefix="scrapeflow-crawl-bench-"))
    nginx: Nginx | None = None
    try:
        ensure_scrapy(log)
        log(f"writing the {args.size}-product shop to {work / 'site'}")
        nginx = Nginx.serve_shop(work, args.size)
        load = os.getloadavg()[0]
        log(f"nginx (1 worker) serving {nginx.base_url}; host load average {load:.1f} on {os.cpu_count()} CPUs")
        expected = expected_rows(args.size)
        runs: list[CrawlRun] = []
        for number in range(1, args.rounds + 1):
            order = SIDES if number % 2 else SIDES[::-1]
            for side in order:
                run = crawl_once(side, number, args, nginx, work, expected)
                runs.append(run)
                log(
                    f"round {number} {side:<10} {run.pages} pages in {run.seconds:6.2f} s = "
                    f"{run.pages_per_second:6.1f} pages/s, peak RSS {run.peak_rss_mb:5.1f} MB, "
                    f"CPU {run.cpu_seconds:5.2f} s, nginx CPU {run.nginx_cpu_share:4.0%}, rows {run.rows} "
                    + ("ok" if run.valid else f"WRONG: {run.problems[:3]}")
                )
        by_side = {side: summarise([run for run in runs if run.side == side]) for side in SIDES}
        ours, theirs = by_side["scrapeflow"], by_side["scrapy"]
        ratio = ours["pages_per_second"] / theirs["pages_per_second"]
        cpu_ratio = ours["pages_per_cpu_second"] / theirs["pages_per_cpu_second"]
        valid = ours["valid"] and theirs["valid"]
        passed = valid and ratio >= args.target
        print()
        print(
            f"{'median of ' + str(args.rounds):<14}{'pages':>7}{'wall s':>9}{'pages/s':>9}{'peak RSS':>10}{'CPU s':>8}"
        )
        for side in SIDES:
            s = by_side[side]
            print(
                f"{side:<14}{s['pages']:>7}{s['seconds']:>9.2f}{s['pages_per_second']:>9.1f}"
                f"{s['peak_rss_mb']:>7.1f} MB{s['cpu_seconds']:>8.2f}"
            )
        print(f"ratio ScrapeFlow/Scrapy pages/s: {ratio:.2f} (pages per CPU second: {cpu_ratio:.2f})")
        print(f"nginx worker CPU during a crawl: at most {max(r.nginx_cpu_share for r in runs):.0%} of one core")
        print(f"host load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"{'PASS' if passed else 'FAIL'}: ScrapeFlow/Scrapy pages/s {ratio:.2f} "
            f"{'>=' if ratio >= args.target else '<'} {args.target:g}" + ("" if valid else " (rows WRONG)")
        )
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        result_file = RESULTS_DIR / f"crawl-{stamp}.json"
        result_file.write_text(
            json.dumps(
                {
                    "benchmark": "crawl",
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
                    "settings": vars(args),
                    "target_ratio": args.target,
                    "ratio": ratio,
                    "cpu_ratio": cpu_ratio,
                    "passed": passed,
                    "sides": by_side,
                    "runs": [asdict(run) for run in runs],
                },
                indent=2,
            )
            + "\n"
        )
        log(f"results written to {result_file.relative_to(REPO_ROOT)}")
        return 0 if passed else 1
    except (BenchError, subprocess.CalledProcessError) as exc:
        log(f"cannot run: {exc}")
        return 2
    finally:
        if nginx is not None:
            nginx.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
