"""Rate-limit overhead: authenticated `GET /api/v1/bots` with the limiter on (Redis storage) against the same
server with it off, in the same run.

Starts two `scrapeflow api --workers 2` servers in production mode on one fresh PostgreSQL database and Redis
(scale-out mode), identical but for `RATE_LIMITS_ENABLED`; seeds one user and 50 bots; then drives
`GET /api/v1/bots` on each with wrk, alternating off/on for `--rounds` rounds, and compares the median req/s.
The per-person limit is set far above the load so every request is counted and none refused.
The servers take turns, so only one is under load at a time.

Target: req/s with the limiter / req/s without >= 0.9, and no error (a 429 counts as one).
Exit status: 0 when the target passes, 1 when it fails, 2 when the benchmark could not run.

Usage: uv run --frozen python bench/rate_limit/run.py [--duration 10] [--warmup 2] [--rounds 2] ...
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # bench.common, bench.api_load

from bench.api_load.run import (  # noqa: E402
    RESULTS_DIR,
    WRK_REPORT_LUA,
    BenchError,
    CpuMeter,
    Result,
    Server,
    ensure_wrk,
    free_port,
    run_wrk,
    seed,
)
from bench.common.postgres import PG_BASE_URL, create_database, drop_database  # noqa: E402

TARGET_RATIO = 0.9


def log(message: str) -> None:
    print(f"[rate_limit] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up load per server")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs measured (medians compared)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--bots", type=int, default=50)
    parser.add_argument("--no-save", action="store_true", help=f"do not write a JSON result under {RESULTS_DIR}")
    return parser.parse_args(argv)


def migrate(env: dict[str, str]) -> None:
    migrated = subprocess.run(
        ["uv", "run", "--frozen", "scrapeflow", "migrate"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    if migrated.returncode != 0:
        raise BenchError(f"migration failed:\n{migrated.stdout}\n{migrated.stderr}")


def report(runs: dict[str, list[Result]]) -> tuple[float, bool]:
    print()
    print(f"{'limiter':<10}{'round':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'server CPU ms/req':>19}")
    for name, results in runs.items():
        for number, r in enumerate(results, 1):
            cpu = f"{r.server_cpu_ms_per_req:.3f}" if r.server_cpu_ms_per_req is not None else "-"
            print(f"{name:<10}{number:>6}{r.rps:>10.1f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}{cpu:>19}")
    off = statistics.median(r.rps for r in runs["off"])
    on = statistics.median(r.rps for r in runs["on"])
    ratio = on / off if off else 0.0
    errors = sum(r.errors for results in runs.values() for r in results)
    passed = ratio >= TARGET_RATIO and errors == 0
    print()
    print(f"median req/s: off {off:.1f}, on {on:.1f}")
    print(f"ratio on/off = {ratio:.3f}  (target >= {TARGET_RATIO})  {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    if errors:
        print(f"errors: {errors} (non-2xx, socket errors or timeouts)  FAIL")
    return ratio, passed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)

    database = f"scrapeflow_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    workdir = Path(tempfile.mkdtemp(prefix="scrapeflow-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_BASE_URL}/{database}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(workdir / "data"),
        "ACCESS_TOKEN_MINUTES": "120",
        "PYTHONUNBUFFERED": "1",
        "RATE_LIMIT_USER_PER_MINUTE": "1000000000",  # every request counted, none refused
        "RATE_LIMIT_AUTH_PER_MINUTE": "1000",
    }
    servers = {
        name: Server({**env, "RATE_LIMITS_ENABLED": enabled}, free_port(), args.workers, workdir / f"{name}.log")
        for name, enabled in (("off", "false"), ("on", "true"))
    }
    created = False
    try:
        wrk = ensure_wrk()
        lua = workdir / "report.lua"
        lua.write_text(WRK_REPORT_LUA)
        log(f"creating database {database}")
        create_database(database)
        created = True
        migrate(env)
        for name, server in servers.items():
            log(f"starting the server with the limiter {name} on port {server.port}")
            server.start()
        for server in servers.values():
            server.wait_ready()
        log(f"seeding one user and {args.bots} bots")
        token = seed(servers["on"].base_url, args.bots)
        load = {"connections": args.connections, "threads": args.threads, "lua": lua, "token": token}
        if args.warmup > 0:
            for name, server in servers.items():
                run_wrk(wrk, f"warmup-{name}", f"{server.base_url}/api/v1/bots", seconds=args.warmup, **load)
        runs: dict[str, list[Result]] = {"off": [], "on": []}
        log(f"measuring: {args.rounds} round(s) of {args.duration:g} s per server, {args.connections} connections")
        for _ in range(args.rounds):
            for name, server in servers.items():
                meter = CpuMeter(server.pgid, database)
                url = f"{server.base_url}/api/v1/bots"
                runs[name].append(run_wrk(wrk, f"limiter {name}", url, seconds=args.duration, meter=meter, **load))
        ratio, passed = report(runs)
        if not args.no_save:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            path = RESULTS_DIR / f"rate_limit-{stamp}.json"
            body = {
                "date": stamp,
                "settings": {k: v for k, v in vars(args).items() if k != "no_save"},
                "runs": {name: [asdict(r) for r in results] for name, results in runs.items()},
                "ratio": round(ratio, 3),
                "passed": passed,
            }
            path.write_text(json.dumps(body, indent=2) + "\n")
            log(f"result saved to {path.relative_to(REPO_ROOT)}")
        print(f"rate_limit: {'PASS' if passed else 'FAIL'}")
        return 0 if passed else 1
    except BenchError as exc:
        print(f"rate_limit: could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        for server in servers.values():
            server.stop()
        if created:
            drop_database(database)


if __name__ == "__main__":
    sys.exit(main())
