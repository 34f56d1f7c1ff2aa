"""Exports benchmark: 100,000 rows of one execution delivered to a local webhook receiver (in batches) and to the
local Google Sheets API server, against writing the same rows to a JSONL file, in the same run.

Each leg runs in a process of its own (`run.py --leg …`), reading the execution's rows from PostgreSQL in batches
the way a delivery does, so its rows/s and peak memory (VmHWM) are the sending process's alone:

- `jsonl`: the rows (`{key, change_status, data}`) from `exports.rows.StoredRows`, one JSON line each, to a file;
  the baseline.
- `webhook`: `exports.delivery.deliver` of a webhook destination on the local receiver (`bench/exports/receiver.py`,
  uvicorn in its own process): 100 signed messages of `EXPORT_BATCH_ROWS` = 1,000 rows through the SSRF guard. The
  receiver's count of rows and distinct webhook-ids is checked.
- `sheets`: the same delivery to a Google Sheets destination (append) on the tests' Sheets API server
  (`bench/exports/sheets_server.py`, its own process), through gspread; the sheet's row count is checked.

Prints rows/s of each, the ratios webhook/JSONL and sheets/JSONL, the peak memory of each sending process and its
memory before sending. Target: every sending process stays at or under 200 MB (constant memory: rows are never
all in memory). Exit status 0 = target met, 1 = missed or rows lost, 2 = cannot run.
Results go to bench/results/exports-<UTC timestamp>.json (gitignored).

Usage: uv run --frozen python bench/exports/run.py [--rows 100000] [--legs jsonl,webhook,sheets]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
sys.path.insert(0, str(REPO_ROOT))

from bench.common.postgres import PG_BASE_URL, create_database, drop_database  # noqa: E402

TARGET_PEAK_MB = 200.0
BATCH_ROWS = 1000


def log(message: str) -> None:
    print(f"[exports] {message}", flush=True)


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry over the forking
    parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the sending process: one leg ---------------------------------------------------------------------------------


async def leg(name: str, ids: dict[str, str], out: Path) -> dict[str, Any]:
    from scrapeflow.config import Settings
    from scrapeflow.db import create_engine, create_sessionmaker, session_scope
    from scrapeflow.exports import delivery, planning
    from scrapeflow.exports.rows import StoredRows
    from scrapeflow.exports.sinks.webhook import encode
    from scrapeflow.kit.crypto import SecretBox
    from scrapeflow.kit.time import utcnow
    from scrapeflow.models import Execution, ExportDestination

    settings = Settings()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    org, execution_id = uuid.UUID(ids["org"]), uuid.UUID(ids["execution"])
    rows = 0
    if name == "jsonl":
        baseline = peak_mb()
        started = time.perf_counter()
        with out.open("wb") as file:
            async for batch in StoredRows(sessions, org, execution_id, "all").batches(BATCH_ROWS):
                file.write(b"".join(encode(row) + b"\n" for row in batch))
                rows += len(batch)
        seconds = time.perf_counter() - started
        outcome = "written"
    else:
        async with session_scope(sessions) as session:
            execution = await session.get_one(Execution, execution_id)
            destination = await session.get_one(ExportDestination, uuid.UUID(ids[name]))
            queued = await planning.queue(session, execution, destination, "execution.succeeded", "all", utcnow())
        baseline = peak_mb()
        started = time.perf_counter()
        status = await delivery.deliver(sessions, settings, SecretBox(settings.jwt_secret), queued.id)
        seconds = time.perf_counter() - started
        async with sessions() as session:
            done = await session.get_one(delivery.Delivery, queued.id)
            rows, outcome = done.rows_sent or int(ids["rows"]), f"{status} {done.last_error or ''}".strip()
    await engine.dispose()
    return {
        "leg": name,
        "rows": rows,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_mb": peak_mb(),
        "outcome": outcome,
    }


# -- the orchestrating process -------------------------------------------------------------------------------------


async def seed(count: int, receiver_url: str, sheets: dict[str, Any]) -> dict[str, str]:
    """A user, a bot, a finished execution with `count` rows, a webhook and a Sheets destination."""
    from sqlalchemy import insert

    from scrapeflow.auth.subject import AuthSubject
    from scrapeflow.bots import service as bots_service
    from scrapeflow.bots.schemas import BotCreate
    from scrapeflow.config import Settings
    from scrapeflow.db import create_engine, create_sessionmaker, session_scope
    from scrapeflow.exports import destinations
    from scrapeflow.exports.schemas import GoogleSheetsCreate, WebhookCreate
    from scrapeflow.kit.crypto import SecretBox
    from scrapeflow.kit.http import ClientInfo
    from scrapeflow.kit.ids import uuid7
    from scrapeflow.kit.time import utcnow
    from scrapeflow.models import (
        ChangeStatus,
        DestinationType,
        Execution,
        ExecutionStatus,
        ExecutionTrigger,
        ResultRow,
        Role,
    )
    from tests.factories import make_user

    settings = Settings()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    box = SecretBox(settings.jwt_secret)
    async with session_scope(sessions) as session:
        actor = await make_user(session, settings)
        assert actor.user.default_org_id is not None
        subject = AuthSubject(actor.user.default_org_id, Role.owner, actor.user.id, None, ClientInfo("bench", "bench"))
        bot = await bots_service.create(
            session, subject, BotCreate(name="Catalogue", start_url="https://a.example/"), box
        )
        execution = Execution(
            org_id=subject.org_id,
            bot_id=bot.id,
            bot_version=1,
            trigger=ExecutionTrigger.manual,
            status=ExecutionStatus.succeeded,
            pages_done=count // 24,
            rows_count=count,
            finished_at=utcnow(),
        )
        session.add(execution)
        await session.flush()
        hook, _ = await destinations.create(
            session, subject, DestinationType.webhook, WebhookCreate(name="Receiver", url=receiver_url), box, settings
        )
        sheet_body = GoogleSheetsCreate(name="Sheet", spreadsheet=sheets["spreadsheet"], credentials=sheets["account"])
        sheet, _ = await destinations.create(session, subject, DestinationType.google_sheets, sheet_body, box, settings)
        ids = {
            "org": str(subject.org_id),
            "execution": str(execution.id),
            "webhook": str(hook.id),
            "sheets": str(sheet.id),
        }
    now = utcnow()
    for start in range(0, count, 5000):
        async with session_scope(sessions) as session:
            await session.execute(
                insert(ResultRow),
                [
                    {
                        "id": uuid7(),
                        "org_id": subject.org_id,
                        "bot_id": bot.id,
                        "execution_id": execution.id,
                        "row_key": f"product-{n}",
                        "data": {
                            "title": f"Product {n} — a lamp of brass and linen",
                            "price": round(5 + (n % 997) * 0.37, 2),
                            "url": f"https://shop.example.com/products/{n}",
                            "rating": (n % 50) / 10,
                            "in_stock": n % 3 != 0,
                        },
                        "change_status": ChangeStatus.new,
                        "diff": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(start, min(count, start + 5000))
                ],
            )
    await engine.dispose()
    return {**ids, "rows": str(count)}


def run_leg(name: str, ids: dict[str, str], out: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--leg", name, "--ids", json.dumps(ids), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"leg {name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def orchestrate(args: argparse.Namespace) -> int:
    name = f"bench_exports_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(work / "data"),
        "DATABASE_URL": f"{PG_BASE_URL}/{name}",
        "REDIS_URL": "",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "FETCH_ALLOWLIST": "127.0.0.1",
        "EXPORT_BATCH_ROWS": str(BATCH_ROWS),
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[subprocess.Popen[str]] = []
    create_database(name)
    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "scrapeflow.cli", "migrate"], env=env, capture_output=True, text=True, check=False
        )
        if migrated.returncode != 0:
            log(f"migration failed: {migrated.stderr[-2000:]}")
            return 2
        receiver, port = start([sys.executable, str(REPO_ROOT / "bench/exports/receiver.py")], env)
        sheets_process, line = start([sys.executable, str(REPO_ROOT / "bench/exports/sheets_server.py")], env)
        processes += [receiver, sheets_process]
        sheets = json.loads(line)
        env["GOOGLE_SHEETS_API_URL"] = sheets["url"]
        os.environ.update(env)
        receiver_url = f"http://127.0.0.1:{port}/hook"
        started = time.perf_counter()
        ids = asyncio.run(seed(args.rows, receiver_url, sheets))
        log(f"seeded {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        results = {}
        for leg_name in args.legs.split(","):
            results[leg_name] = run_leg(leg_name, ids, work / "rows.jsonl", env)
            r = results[leg_name]
            log(
                f"{leg_name:8s} {r['rows']:>7,} rows in {r['seconds']:6.2f} s = "
                f"{r['rows'] / r['seconds']:>9,.0f} rows/s; "
                f"memory {r['baseline_mb']:.0f} MB before sending, peak {r['peak_mb']:.0f} MB ({r['outcome']})"
            )
        received = httpx.get(f"http://127.0.0.1:{port}/stats").json()
        log(f"receiver: {received}")
        return report(args, results, received)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        drop_database(name)


def report(args: argparse.Namespace, results: dict[str, dict[str, Any]], received: dict[str, int]) -> int:
    ok = True
    rate = {name: r["rows"] / r["seconds"] for name, r in results.items()}
    if "jsonl" in rate:
        for name in ("webhook", "sheets"):
            if name in rate:
                log(f"ratio {name}/jsonl rows/s = {rate[name] / rate['jsonl']:.3f}")
    if "webhook" in results:
        expected = {"rows": args.rows, "ids": -(-args.rows // BATCH_ROWS)}
        if received["rows"] != expected["rows"] or received["ids"] != expected["ids"]:
            log(f"FAIL: the receiver got {received}, expected {expected}")
            ok = False
    for name, r in results.items():
        if not r["outcome"].startswith(("written", "DeliveryStatus.delivered", "delivered")):
            log(f"FAIL: {name} ended {r['outcome']}")
            ok = False
        if r["peak_mb"] > TARGET_PEAK_MB:
            log(f"FAIL: {name} peaked at {r['peak_mb']:.0f} MB > {TARGET_PEAK_MB:.0f} MB")
            ok = False
    log(f"{'PASS' if ok else 'FAIL'}: peak memory of every sending process <= {TARGET_PEAK_MB:.0f} MB")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"exports-{stamp}.json").write_text(
        json.dumps({"rows": args.rows, "machine": platform.platform(), "legs": results, "receiver": received}, indent=2)
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--legs", default="jsonl,webhook,sheets")
    parser.add_argument("--leg", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.leg:
        print(json.dumps(asyncio.run(leg(args.leg, json.loads(args.ids), Path(args.out)))))
        return 0
    try:
        return orchestrate(args)
    except Exception as exc:
        log(f"cannot run: {type(exc).__name__}: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
