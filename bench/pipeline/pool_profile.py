"""py-spy on the pipeline benchmark's pool processes during a crawl, and where their samples went."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.pipeline.deployment import Deployment


def profile_workers(dep: Deployment, seconds: float, out_dir: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy (from PyPI through uvx) on each pool process, recording while the next crawl runs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for pid in dep.pool_pids():
        command = ["uvx", "py-spy", "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
        command += ["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(out_dir / f"pool-{pid}.txt")]
        records.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return records


PROFILE_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (what, frames that put a sample there when on its stack); the first match wins
    ("site limits (Redis round trips per request)", ("pipeline/politeness/",)),
    ("page snapshots (gzip + file write)", ("kit/artifacts.py",)),
    ("page rows and counters in the database", ("_record_pages",)),
    ("pages inserted by map", ("insert_pages",)),
    ("map: sitemaps fetched and parsed", ("_discover",)),
    ("save stage (rows upserted)", ("save_stage",)),
    ("fetcher opened/closed (TLS context, robots.txt)", ("HttpFetcher.__a", "_download_robots")),
    ("fetch + extract (the engine's page work)", ("process_page",)),
    ("stage set-up (execution, bot, plan, pages read)", ("pipeline/stages/",)),
    (
        "sending the next tasks, results, chord counters",
        ("celery/backends", "kombu/", "celery/canvas", "celery/app/amqp", "send_task"),
    ),
    ("event loop waiting for I/O", ("select (selectors.py",)),
    ("helper threads (to_thread, DNS)", ("concurrent/futures/thread.py",)),
    ("event loop and asyncio internals", ("asyncio/",)),
    ("SQLAlchemy and psycopg (their callers are cut off by greenlets)", ("sqlalchemy/", "psycopg/")),
)


def summarize_profile(files: list[Path]) -> str:
    """Where the pool processes' samples went, by category (py-spy samples running threads only)."""
    counts: dict[str, int] = {}
    total = 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            total += int(count)
            what = next((name for name, marks in PROFILE_CATEGORIES if any(m in stack for m in marks)), "other")
            counts[what] = counts.get(what, 0) + int(count)
    rows = sorted(counts.items(), key=lambda item: -item[1])
    lines = [f"  {100 * n / total:5.1f}%  {what}" for what, n in rows] if total else ["  (no samples)"]
    return f"samples: {total}\n" + "\n".join(lines)
