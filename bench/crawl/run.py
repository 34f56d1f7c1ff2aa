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
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
sys.path.insert(0, str(REPO_ROOT))  # tests.site: the shop and its catalogue

from tests.site.catalog import Catalog  # noqa: E402
from tests.site.server import nginx_config, write_static  # noqa: E402

TARGET_RATIO = 1.2
SIDES = ("scrapeflow", "scrapy")
SCRIPTS = {"scrapeflow": HERE / "scrapeflow_crawl.py", "scrapy": HERE / "scrapy_crawl.py"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to running and missing the target)."""


@dataclass
class Run:
    side: str
    round: int
    pages: int
    requests: int
    rows: int
    errors: int
    seconds: float
    """Crawl wall time inside the process: first request to the last row written (imports excluded)."""
    process_seconds: float
    """The whole process, interpreter start and imports included."""
    pages_per_second: float
    peak_rss_mb: float
    cpu_seconds: float
    nginx_cpu_share: float
    """nginx worker CPU seconds / crawl wall seconds (1.0 = one core busy)."""
    valid: bool
    problems: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[crawl] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_scrapy() -> None:
    """`scripts/bench` runs `uv run --frozen python ...` without the bench group: install it when missing."""
    found = subprocess.run([sys.executable, "-c", "import scrapy"], capture_output=True, check=False)
    if found.returncode == 0:
        return
    uv = shutil.which("uv")
    if uv is None:
        raise BenchError("Scrapy is not installed and uv is not on PATH: run `uv sync --frozen --group bench`")
    log("installing the bench dependency group (Scrapy): uv sync --frozen --inexact --group bench")
    subprocess.run([uv, "sync", "--frozen", "--inexact", "--group", "bench"], cwd=REPO_ROOT, check=True)
    found = subprocess.run([sys.executable, "-c", "import scrapy"], capture_output=True, check=False)
    if found.returncode != 0:
        raise BenchError(f"Scrapy still cannot be imported by {sys.executable}: {found.stderr.decode()[-500:]}")


class Nginx:
    """One nginx master + worker serving the static shop, on a loopback port, not daemonised."""

    def __init__(self, site: Path, base_url: str, prefix: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise BenchError("nginx is not installed: run scripts/system-packages (apt-get install nginx)")
        (prefix / "tmp").mkdir(parents=True)
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(site, base_url, prefix, workers=1))
        self.base_url = base_url
        self.log = prefix / "error.log"
        with (prefix / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-p", str(prefix), "-c", str(config), "-e", str(self.log)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"nginx exited with {self.process.returncode}: {self.log.read_text()[-500:]}")
            try:
                with urllib.request.urlopen(self.base_url + "/products?page=1", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise BenchError(f"nginx did not answer on {self.base_url} within {timeout:g} s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time of nginx's worker processes so far (the master does no request work)."""
        total = 0
        for pid in self.workers():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def expected_rows(size: int) -> dict[str, dict[str, Any]]:
    rows = {}
    for product in Catalog(size=size).products:
        rows[product.path] = {
            "title": product.title,
            "price": float(product.price),
            "price_currency": product.currency,
            "rating": float(product.rating) if product.review_count else None,
        }
    return rows


def check_rows(path: Path, expected: dict[str, dict[str, Any]]) -> tuple[int, list[str]]:
    """How many rows the run wrote, and what is wrong with them (nothing, when every product is right)."""
    problems: list[str] = []
    seen: dict[str, dict[str, Any]] = {}
    count = 0
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            count += 1
            row = json.loads(line)
            product_path = "/" + row.get("url", "").split("/", 3)[-1]
            if product_path in seen:
                problems.append(f"duplicate row for {product_path}")
            seen[product_path] = row
    missing = expected.keys() - seen.keys()
    if missing:
        problems.append(f"{len(missing)} products have no row, e.g. {sorted(missing)[:3]}")
    for product_path, want in expected.items():
        row = seen.get(product_path)
        if row is None:
            continue
        got = {name: row.get(name) for name in want}
        if got != want:
            problems.append(f"{product_path}: got {got}, want {want}")
    return count, problems[:10]


def crawl_once(side: str, number: int, args: argparse.Namespace, nginx: Nginx, work: Path, expected: Any) -> Run:
    out = work / f"{side}-{number}.jsonl"
    stdout_path, stderr_path = work / f"{side}-{number}.out", work / f"{side}-{number}.log"
    command = [sys.executable, str(SCRIPTS[side]), nginx.base_url, str(out), "--concurrency", str(args.concurrency)]
    if side == "scrapy":
        command += ["--concurrent-items", str(args.scrapy_concurrent_items)]
    nginx_before = nginx.cpu_seconds()
    started = time.perf_counter()
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=REPO_ROOT)
        try:
            # wait4 gives this child's own resource usage: peak RSS (KiB on Linux) and CPU time.
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    process_seconds = time.perf_counter() - started
    nginx_cpu = nginx.cpu_seconds() - nginx_before
    if process.returncode != 0:
        raise BenchError(f"{side} crawl exited with {process.returncode}: {stderr_path.read_text()[-2000:]}")
    lines = [line for line in stdout_path.read_text().splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise BenchError(f"{side} crawl printed no summary; its log: {stderr_path.read_text()[-2000:]}")
    summary = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    rows, problems = check_rows(out, expected)
    if summary["errors"]:
        problems.insert(0, f"{summary['errors']} pages failed: {summary.get('first_errors', [])[:3]}")
    seconds = float(summary["elapsed"])
    return Run(
        side=side,
        round=number,
        pages=int(summary["pages"]),
        requests=int(summary.get("responses", summary["pages"] + 1)),  # + robots.txt
        rows=rows,
        errors=int(summary["errors"]),
        seconds=seconds,
        process_seconds=process_seconds,
        pages_per_second=summary["pages"] / seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        nginx_cpu_share=nginx_cpu / seconds,
        valid=not problems and rows == len(expected),
        problems=problems,
    )


def median_of(runs: list[Run], name: str) -> float:
    return float(statistics.median(getattr(run, name) for run in runs))


def summarise(runs: list[Run]) -> dict[str, Any]:
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
        ensure_scrapy()
        base_url = f"http://127.0.0.1:{free_port()}"
        log(f"writing the {args.size}-product shop to {work / 'site'}")
        write_static(work / "site", args.size, base_url=base_url)
        nginx = Nginx(work / "site", base_url, work / "nginx")
        nginx.wait_ready()
        log(f"nginx (1 worker) serving {base_url}; host load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        expected = expected_rows(args.size)
        runs: list[Run] = []
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
