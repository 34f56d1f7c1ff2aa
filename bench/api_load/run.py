"""Load benchmark: authenticated `GET /api/v1/bots` against `GET /health` on one 2-worker server.

Starts `scrapeflow api --workers 2` in production mode against a fresh PostgreSQL database
(migrated with `scrapeflow migrate`), seeds one user and 50 bots through the API, then drives
both endpoints with wrk (a short warm-up, then a timed run each) and compares them.

Targets: bots req/s / health req/s >= 0.35, and p99 of /api/v1/bots <= 50 ms.
Exit status: 0 when every target passes, 1 when one fails, 2 when the benchmark could not run.

Usage: uv run --frozen python bench/api_load/run.py [--duration 15] [--warmup 3] [--connections 32] ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # bench.common, tests.processes

from bench.common.postgres import ADMIN_URL, PG_BASE_URL, create_database, drop_database  # noqa: E402
from tests.processes import stop_groups  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"

RUN_FLAGS = {"keep_server", "no_save", "profile"}  # options that do not change the measurement
TARGET_RATIO = 0.35
TARGET_P99_MS = 50.0

# wrk reports through this script: one JSON line on stdout after the run (latencies in µs).
WRK_REPORT_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\\nBENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
    .. '"status_errors":%d,"timeouts":%d}\\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
"""


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to running and missing a target)."""


@dataclass
class Result:
    name: str
    url: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    server_cpu_ms_per_req: float | None = None
    postgres_cpu_ms_per_req: float | None = None
    wrk_cpu_ms_per_req: float | None = None
    machine_busy_pct: float | None = None
    other_busy_pct: float | None = None


def log(message: str) -> None:
    print(f"[api_load] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found; installing it with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        completed = subprocess.run([*sudo, *command], env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BenchError(f"`{' '.join(command)}` failed:\n{completed.stderr[-2000:]}")
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is still missing after apt-get install")
    return found


# -- database ---------------------------------------------------------------------------------


# -- server -----------------------------------------------------------------------------------


class Server:
    """`scrapeflow api` in its own process group, so stopping it also stops uv's child and the workers."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path) -> None:
        self.env = env
        self.port = port
        self.workers = workers
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pgid(self) -> int | None:
        """The server's process group (uv, the uvicorn supervisor, its workers)."""
        return self.process.pid if self.process is not None else None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = ["uv", "run", "--frozen", "scrapeflow", "api"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180.0) -> None:  # a loaded 2-core machine can take a minute
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BenchError(f"the server exited with status {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http("GET", f"{self.base_url}/health", timeout=1.0)
                if status == 200:
                    return
            time.sleep(0.25)
        raise BenchError(f"the server did not answer /health within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        stop_groups([process], grace=15)  # the group we created: uv, the uvicorn supervisor and its workers
        # Workers can outlive the uv process for a moment; make sure none of our group is left.
        for _ in range(50):
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


# -- HTTP seeding -----------------------------------------------------------------------------


def http(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30.0) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (local http URL)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def expect(status: int, payload: Any, wanted: int, what: str) -> Any:
    if status != wanted:
        raise BenchError(f"{what}: expected HTTP {wanted}, got {status}: {payload}")
    return payload


EMPTY_WORKFLOW: dict[str, Any] = {"nodes": [], "edges": []}
STARTER_WORKFLOW: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"urls": ["https://example.com/"]}}
    ],
    "edges": [],
}


def _error_code(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return payload["error"].get("code")
    return None


def seed(base_url: str, bots: int) -> str:
    """Register a user, sign in, create `bots` bots in the user's organization; return the access token."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    password = "bench password " + uuid.uuid4().hex
    api = f"{base_url}/api/v1"
    credentials = {"email": email, "password": password}
    expect(*http("POST", f"{api}/auth/register", {**credentials, "name": "Bench"}), 201, "register")
    token = expect(*http("POST", f"{api}/auth/login", credentials), 200, "login")["access_token"]
    workflow: dict[str, Any] = EMPTY_WORKFLOW
    for index in range(bots):
        body = {"name": f"Bench bot {index:03d}", "workflow_json": workflow}
        status, payload = http("POST", f"{api}/bots", body, token=token)
        if status == 422 and workflow is EMPTY_WORKFLOW and _error_code(payload) == "invalid_workflow":
            # Bots that refuse an empty graph get the smallest valid one (a single Start step).
            log("the API refuses an empty workflow; seeding bots with a single Start step instead")
            workflow = STARTER_WORKFLOW
            body["workflow_json"] = workflow
            status, payload = http("POST", f"{api}/bots", body, token=token)
        expect(status, payload, 201, f"create bot {index}")
    page = expect(*http("GET", f"{api}/bots?limit=200", token=token), 200, "list bots")
    if len(page["items"]) != bots:
        raise BenchError(f"expected {bots} bots in the list, got {len(page['items'])}")
    return str(token)


# -- CPU accounting ---------------------------------------------------------------------------
# Throughput on a shared machine moves with whatever else runs; CPU time per request does much less,
# so each measured run also reports where the CPU went (Linux /proc; omitted elsewhere).

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()  # fields from `state` (3rd) on; the name may hold spaces


def _ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])  # utime + stime


def group_ticks(pgid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields is not None and int(fields[2]) == pgid:
                total += _ticks(fields)
    return total


def backend_ticks(database: str) -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends serving `database` (a local server only)."""
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])]
    except psycopg.Error:
        return {}
    ticks = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks[pid] = _ticks(fields)
    return ticks


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks summed over every CPU."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


@dataclass
class CpuSnapshot:
    server: int
    postgres: dict[int, int]
    wrk: float
    machine: tuple[int, int]


class CpuMeter:
    def __init__(self, server_pgid: int | None, database: str) -> None:
        self.server_pgid = server_pgid
        self.database = database
        self.enabled = server_pgid is not None and Path("/proc/stat").exists()

    def snapshot(self) -> CpuSnapshot | None:
        if not self.enabled or self.server_pgid is None:
            return None
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return CpuSnapshot(
            server=group_ticks(self.server_pgid),
            postgres=backend_ticks(self.database),
            wrk=children.ru_utime + children.ru_stime,
            machine=machine_ticks(),
        )

    def attach(self, result: Result, before: CpuSnapshot | None, after: CpuSnapshot | None) -> None:
        if before is None or after is None or result.requests == 0:
            return
        per_req = 1000 / result.requests
        server = (after.server - before.server) / TICK
        postgres = sum(t - before.postgres.get(pid, 0) for pid, t in after.postgres.items()) / TICK
        wrk = after.wrk - before.wrk
        busy = (after.machine[0] - before.machine[0]) / TICK
        total = (after.machine[1] - before.machine[1]) / TICK
        result.server_cpu_ms_per_req = round(server * per_req, 3)
        result.postgres_cpu_ms_per_req = round(postgres * per_req, 3)
        result.wrk_cpu_ms_per_req = round(wrk * per_req, 3)
        if total > 0:
            result.machine_busy_pct = round(100 * busy / total, 1)
            result.other_busy_pct = round(max(0.0, 100 * (busy - server - postgres - wrk) / total), 1)


# -- load generation --------------------------------------------------------------------------


def run_wrk(
    wrk: str,
    name: str,
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    lua: Path,
    token: str | None = None,
    headers: tuple[str, ...] = (),
    meter: CpuMeter | None = None,
) -> Result:
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "-s", str(lua)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    before = meter.snapshot() if meter else None
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    after = meter.snapshot() if meter else None
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchError(f"no report from wrk:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    result = Result(
        name=name,
        url=url,
        requests=raw["requests"],
        seconds=round(duration, 2),
        rps=round(raw["requests"] / duration, 1) if duration else 0.0,
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=errors,
    )
    if meter:
        meter.attach(result, before, after)
    return result


# -- profiling ------------------------------------------------------------------------------


def worker_pids(pgid: int) -> list[int]:
    """The uvicorn worker processes in the server's group (or the single server process)."""
    workers, servers = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None or int(fields[2]) != pgid:
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            exe = os.path.basename(os.readlink(f"/proc/{entry}/exe"))
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(int(entry))
        elif exe.startswith("python") and b"scrapeflow" in cmdline:
            servers.append(int(entry))
    return sorted(workers or servers)


def summarize_profile(raw_files: list[Path], top: int = 25) -> str:
    """The functions with the most samples on their stack (inclusive), over every worker."""
    inclusive: dict[str, int] = {}
    total = 0
    for raw in raw_files:
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            if frames[-1].startswith(("Condition.wait", "Queue.get", "Connection._recv")):
                continue  # idle thread-pool and supervisor threads
            total += int(count)
            for frame in {f.rsplit(":", 1)[0] + ")" if f.endswith(")") else f for f in frames}:
                inclusive[frame] = inclusive.get(frame, 0) + int(count)
    interesting = ("scrapeflow/", "sqlalchemy/orm", "psycopg/", "fastapi/dependencies", "pydantic", "jose", "structlog")
    rows = sorted(((n, f) for f, n in inclusive.items() if any(key in f for key in interesting)), reverse=True)[:top]
    lines = [f"  {100 * n / total:5.1f}%  {f}" for n, f in rows] if total else ["  (no samples)"]
    return f"busy samples: {total}\n" + "\n".join(lines)


def profile_bots(wrk: str, server: Server, url: str, token: str, seconds: float, out_dir: Path, load: Any) -> None:
    """Attach py-spy (from PyPI through uvx) to each worker while wrk loads the bots list."""
    if server.pgid is None:
        return
    spy = ["uvx", "py-spy"]
    if subprocess.run([*spy, "--version"], capture_output=True, check=False).returncode != 0:
        raise BenchError("py-spy is unavailable (`uvx py-spy --version` failed)")
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = worker_pids(server.pgid)
    log(f"profiling {len(workers)} worker(s) with py-spy for {seconds:g} s under load (numbers not comparable)")
    records, raws = [], []
    for pid in workers:
        raw = out_dir / f"worker-{pid}.folded"
        raws.append(raw)
        command = [*spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "250"]
        command += ["--nonblocking", "--format", "raw", "--output", str(raw)]
        records.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    run_wrk(wrk, "profile-bots", url, seconds=seconds + 1, token=token, **load)
    for record in records:
        _, stderr = record.communicate(timeout=60)
        if record.returncode != 0:
            log(f"py-spy failed: {stderr.decode(errors='replace')[-500:]}")
    print(summarize_profile([raw for raw in raws if raw.exists()]))
    log(f"collapsed stacks in {out_dir.relative_to(REPO_ROOT)} (open them in https://www.speedscope.app)")


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of measured load per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up load per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--bots", type=int, default=50, help="bots to seed (all of them fit the default page)")
    parser.add_argument("--keep-server", action="store_true", help="leave the server up until Enter (profiling)")
    parser.add_argument(
        "--profile", action="store_true", help="after measuring, profile the workers with py-spy under bots load"
    )
    parser.add_argument("--no-save", action="store_true", help=f"do not write a JSON result under {RESULTS_DIR}")
    return parser.parse_args(argv)


def report(health: Result, bots: Result, fresh: Result) -> bool:
    """The targets are on `bots` (as clients poll it); `fresh` (every answer rebuilt) is shown for the record."""
    ratio = bots.rps / health.rps if health.rps else 0.0
    print()
    columns = ("req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "requests")
    print(f"{'endpoint':<34}" + "".join(f"{c:>10}" for c in columns) + f"{'errors':>8}")
    for r in (health, bots, fresh):
        print(
            f"{r.name:<34}{r.rps:>10.1f}{r.p50_ms:>10.2f}{r.p90_ms:>10.2f}{r.p99_ms:>10.2f}{r.max_ms:>10.2f}"
            f"{r.requests:>10}{r.errors:>8}"
        )
    if health.server_cpu_ms_per_req is not None and bots.server_cpu_ms_per_req is not None:
        print()
        print("CPU per request (ms; all cores)   server  postgres       wrk   | machine busy  of which other processes")
        for r in (health, bots, fresh):
            print(
                f"  {r.name:<32}{r.server_cpu_ms_per_req:>7.3f}{r.postgres_cpu_ms_per_req:>10.3f}"
                f"{r.wrk_cpu_ms_per_req:>10.3f}   | {r.machine_busy_pct:>10.1f}%  {r.other_busy_pct:>10.1f}%"
            )
        if max(r.other_busy_pct or 0 for r in (health, bots, fresh)) > 10:
            print("  note: other processes used the CPUs during the run; req/s and latencies are pessimistic")
    print()
    ratio_ok = ratio >= TARGET_RATIO
    p99_ok = bots.p99_ms <= TARGET_P99_MS
    errors_ok = health.errors == 0 and bots.errors == 0
    print(f"ratio bots/health req/s = {ratio:.3f}  (target >= {TARGET_RATIO})  {'PASS' if ratio_ok else 'FAIL'}")
    fresh_ratio = fresh.rps / health.rps if health.rps else 0.0
    print(f"ratio no-cache/health   = {fresh_ratio:.3f}  (every answer rebuilt: routing, auth, query, serialising)")
    verdict = "PASS" if p99_ok else "FAIL"
    print(f"p99 /api/v1/bots        = {bots.p99_ms:.2f} ms  (target <= {TARGET_P99_MS:g} ms)  {verdict}")
    if not errors_ok:
        print(f"errors: health {health.errors}, bots {bots.errors} (non-2xx/3xx, socket errors or timeouts)  FAIL")
    return ratio_ok and p99_ok and errors_ok


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
        "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(workdir / "data"),
        "ACCESS_TOKEN_MINUTES": "120",
        "PYTHONUNBUFFERED": "1",
    }
    # Scale-out mode, as served in production: PostgreSQL plus Redis (change stamps, login limits).
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    server = Server(env, free_port(), args.workers, workdir / "server.log")
    created = False
    try:
        wrk = ensure_wrk()
        lua = workdir / "report.lua"
        lua.write_text(WRK_REPORT_LUA)

        log(f"creating database {database}")
        create_database(database)
        created = True
        log("migrating (scrapeflow migrate)")
        migrated = subprocess.run(
            ["uv", "run", "--frozen", "scrapeflow", "migrate"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrated.returncode != 0:
            raise BenchError(f"migration failed:\n{migrated.stdout}\n{migrated.stderr}")

        log(f"starting scrapeflow api --workers {args.workers} on port {server.port}")
        server.start()
        server.wait_ready()
        log(f"seeding one user and {args.bots} bots through the API")
        token = seed(server.base_url, args.bots)

        health_url = f"{server.base_url}/health"
        bots_url = f"{server.base_url}/api/v1/bots"
        load = {"connections": args.connections, "threads": args.threads, "lua": lua}
        if args.warmup > 0:
            log(f"warm-up: {args.warmup:g} s on each endpoint")
            run_wrk(wrk, "warmup-health", health_url, seconds=args.warmup, **load)
            run_wrk(wrk, "warmup-bots", bots_url, seconds=args.warmup, token=token, **load)
            no_cache = ("Cache-Control: no-cache",)
            run_wrk(wrk, "warmup-fresh", bots_url, seconds=args.warmup, token=token, headers=no_cache, **load)
        log(f"measuring: {args.duration:g} s per endpoint, {args.connections} connections, {args.threads} threads")
        meter = CpuMeter(server.pgid, database)
        health = run_wrk(wrk, "GET /health", health_url, seconds=args.duration, meter=meter, **load)
        bots = run_wrk(wrk, "GET /api/v1/bots", bots_url, seconds=args.duration, token=token, meter=meter, **load)
        fresh = run_wrk(
            wrk,
            "GET /api/v1/bots (no-cache)",
            bots_url,
            seconds=args.duration,
            token=token,
            headers=("Cache-Control: no-cache",),
            meter=meter,
            **load,
        )
        passed = report(health, bots, fresh)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if args.profile:
            out_dir = RESULTS_DIR / f"api_load-{stamp}-profile"
            profile_bots(wrk, server, bots_url, token, args.duration, out_dir, load)

        if not args.no_save:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            path = RESULTS_DIR / f"api_load-{stamp}.json"
            ratio = bots.rps / health.rps if health.rps else 0.0
            path.write_text(
                json.dumps(
                    {
                        "date": stamp,
                        "settings": {k: v for k, v in vars(args).items() if k not in RUN_FLAGS},
                        "health": asdict(health),
                        "bots": asdict(bots),
                        "bots_no_cache": asdict(fresh),
                        "ratio": round(ratio, 3),
                        "passed": passed,
                    },
                    indent=2,
                )
                + "\n"
            )
            log(f"result saved to {path.relative_to(REPO_ROOT)}")
        if args.keep_server:
            log(f"server left up at {server.base_url}; token:\n{token}\npress Enter to stop")
            with contextlib.suppress(EOFError):
                input()
        print(f"api_load: {'PASS' if passed else 'FAIL'}")
        return 0 if passed else 1
    except BenchError as exc:
        print(f"api_load: ERROR: {exc}", file=sys.stderr)
        return 2
    finally:
        server.stop()
        if created:
            try:
                drop_database(database)
                log(f"dropped database {database}")
            except psycopg.Error as exc:
                print(f"api_load: could not drop database {database}: {exc}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
