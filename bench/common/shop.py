"""The 2,000-product test shop served by nginx, the bots that crawl it, and crawlers run as child processes.

Used by bench/crawl (engine against Scrapy) and bench/pipeline (the same crawl as an execution on Celery).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # tests.site: the shop and its catalogue

from tests.site.catalog import Catalog  # noqa: E402
from tests.site.server import nginx_config, write_static  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PRICE_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "selector": "h1.product-title"},
    {"name": "price", "selector": ".offer .price", "type": "price"},
    {"name": "rating", "selector": "AggregateRating.ratingValue", "selector_type": "jsonld", "type": "number"},
]


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to running and missing the target)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_scrapy(log: Any) -> None:
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


def workflow(steps: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A straight line of steps as the editor saves it (React Flow nodes and edges)."""
    nodes = [
        {"id": f"n{i}", "type": kind, "position": {"x": 0, "y": 100 * i}, "data": data}
        for i, (kind, data) in enumerate(steps)
    ]
    edges = [{"id": f"e{i}", "source": f"n{i}", "target": f"n{i + 1}"} for i in range(len(nodes) - 1)]
    return {"nodes": nodes, "edges": edges}


def paginate_bot(base_url: str) -> dict[str, Any]:
    """bench/crawl's bot: start → paginate (84 list pages) → follow (2,000 product links) → extract."""
    return workflow(
        [
            ("start", {"urls": [f"{base_url}/products?page=1"]}),
            ("paginate", {"next_selector": "a[rel=next]", "max_pages": 200}),
            ("follow", {"selector": "a.product-link", "max_links": 1000}),
            ("extract", {"fields": PRICE_FIELDS}),
        ]
    )


def map_bot(base_url: str) -> dict[str, Any]:
    """start → map (the sitemaps named in robots.txt, product pages only) → extract, the URL included.

    Every product page is known after the map step, so an execution splits them into scrape batches up front.
    """
    url_field = {"name": "url", "selector": "link[rel=canonical]", "attribute": "href", "type": "url"}
    return workflow(
        [
            ("start", {"urls": [f"{base_url}/"]}),
            ("map", {"limit": 10_000, "max_depth": 0, "include": ["/products/*"], "sitemap": True}),
            ("extract", {"fields": [url_field, *PRICE_FIELDS]}),
        ]
    )


def one_page_bot(base_url: str, path: str) -> dict[str, Any]:
    """start (one product page) → extract: the smallest useful execution."""
    return workflow([("start", {"urls": [f"{base_url}{path}"]}), ("extract", {"fields": PRICE_FIELDS})])


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

    @classmethod
    def serve_shop(cls, work: Path, size: int) -> Nginx:
        """Write the shop of `size` products under `work/site` and serve it on a free port (ready on return)."""
        base_url = f"http://127.0.0.1:{free_port()}"
        write_static(work / "site", size, base_url=base_url)
        nginx = cls(work / "site", base_url, work / "nginx")
        nginx.wait_ready()
        return nginx

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
        return sum(process_cpu_seconds(pid) for pid in self.workers())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 when it is gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return 0.0


def expected_rows(size: int) -> dict[str, dict[str, Any]]:
    """Product path → the row a correct crawler extracts from its page."""
    rows = {}
    for product in Catalog(size=size).products:
        rows[product.path] = {
            "title": product.title,
            "price": float(product.price),
            "price_currency": product.currency,
            "rating": float(product.rating) if product.review_count else None,
        }
    return rows


def check_rows(rows: list[dict[str, Any]], expected: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with a crawl's rows (each with its page's `url`): nothing, when every product is right."""
    problems: list[str] = []
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        product_path = "/" + str(row.get("url", "")).split("/", 3)[-1]
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
    return problems[:10]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class CrawlRun:
    """One crawl by a crawler in its own process."""

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


def run_crawler(
    side: str, number: int, command: list[str], out: Path, nginx: Nginx, expected: dict[str, dict[str, Any]]
) -> CrawlRun:
    """Run a crawler script (`command` writes JSON lines to `out` and prints a `BENCH_JSON {...}` summary) and
    check its rows."""
    stdout_path, stderr_path = out.with_suffix(".out"), out.with_suffix(".log")
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
    rows = read_jsonl(out)
    problems = check_rows(rows, expected)
    if summary["errors"]:
        problems.insert(0, f"{summary['errors']} pages failed: {summary.get('first_errors', [])[:3]}")
    seconds = float(summary["elapsed"])
    return CrawlRun(
        side=side,
        round=number,
        pages=int(summary["pages"]),
        requests=int(summary.get("responses", summary["pages"] + 1)),  # + robots.txt
        rows=len(rows),
        errors=int(summary["errors"]),
        seconds=seconds,
        process_seconds=process_seconds,
        pages_per_second=summary["pages"] / seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        nginx_cpu_share=nginx_cpu / seconds,
        valid=not problems and len(rows) == len(expected),
        problems=problems,
    )
