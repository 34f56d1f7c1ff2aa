"""The `scrapeflow` command, run as a user would: in a fresh folder, with no configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scrapeflow import cli
from tests.web.services import ensure_web_build

SCRAPEFLOW = str(Path(sys.executable).with_name("scrapeflow"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_DIR"}}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines (from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_starts_single_machine_mode_with_no_configuration(tmp_path: Path) -> None:
    ensure_web_build()
    port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [SCRAPEFLOW, "run", "--port", str(port), "--web-port", str(web_port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "scrapeflow run did not answer within 90 s"
                time.sleep(0.2)
        assert ready.json()["status"] == "ready"
        register = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/register",
            json={"email": "first@example.com", "password": "a long password"},
        )
        assert register.status_code == 201
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"email": "first@example.com", "password": "a long password"},
        )
        assert login.status_code == 200
        assert (tmp_path / "data" / "scrapeflow.db").is_file()
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0
        web = f"http://127.0.0.1:{web_port}"
        wait_for(web, process)
        assert httpx.get(web).status_code == 200
        plans = httpx.get(f"{web}/api/v1/payments/plans")  # the web app proxies the API on its own origin
        assert plans.status_code == 200
        assert plans.json()["self_hosted_plan"] == "enterprise"
        services = children_of(process.pid)
        commands = sorted(command.split()[-1] for command in services.values() if "next" not in command)
        assert commands == ["beat", "worker"]
        assert sum("next" in command for command in services.values()) == 1
        assert (tmp_path / "data" / "broker" / "queue").is_dir()  # the embedded broker: no server
    finally:
        process.terminate()
        process.wait(timeout=15)
    deadline = time.monotonic() + 30  # a worker's warm shutdown takes a few seconds
    while any(alive(pid) for pid in services) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in services), "worker, beat or web app outlived scrapeflow run"


def wait_for(url: str, process: subprocess.Popen[bytes], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, f"{url} did not answer within {within} s"
            time.sleep(0.2)


def test_run_explains_why_the_web_app_cannot_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    assert "Node.js" in str(cli.web_app_command("127.0.0.1", 3000))
    monkeypatch.setattr(cli.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setattr(cli, "FRONTEND", tmp_path)
    assert "not built" in str(cli.web_app_command("127.0.0.1", 3000))


def test_run_starts_the_web_apps_build_through_the_client_address_preload() -> None:
    ensure_web_build()
    everywhere = "0.0.0.0"  # noqa: S104 - what a person may pass as --host
    command = cli.web_app_command(everywhere, 3100)
    assert isinstance(command, list)
    assert command[1:3] == ["--import", (cli.FRONTEND / "server" / "forwarded-for.mjs").as_uri()]
    assert command[-5:] == ["start", "--port", "3100", "--hostname", everywhere]
    assert cli._api_url(everywhere, 8000) == "http://127.0.0.1:8000"
    assert cli._api_url("::1", 8000) == "http://[::1]:8000"


def test_migrate_and_create_user(tmp_path: Path) -> None:
    env = clean_env()
    migrated = subprocess.run([SCRAPEFLOW, "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    created = subprocess.run(
        [SCRAPEFLOW, "create-user", "--email", "Ops@Example.com", "--name", "Ops"],
        cwd=tmp_path,
        env=env,
        input="a long password\na long password\n",
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    assert "Created user ops@example.com" in created.stdout
    duplicate = subprocess.run(
        [SCRAPEFLOW, "create-user", "--email", "ops@example.com", "--password", "another password"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    short = subprocess.run(
        [SCRAPEFLOW, "create-user", "--email", "x@example.com", "--password", "short"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert short.returncode == 2
    assert "password" in short.stderr


def test_wait_db_answers_at_once_for_a_reachable_database(tmp_path: Path) -> None:
    sqlite = subprocess.run([SCRAPEFLOW, "wait-db"], cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert sqlite.returncode == 0, sqlite.stderr
    assert "reachable" in sqlite.stdout
    postgres_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    postgres = subprocess.run(
        [SCRAPEFLOW, "wait-db", "--timeout", "10"],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=postgres_url),
        capture_output=True,
        text=True,
    )
    assert postgres.returncode == 0, postgres.stderr


def test_wait_db_gives_up_after_its_timeout(tmp_path: Path) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    started = time.monotonic()
    waited = subprocess.run(
        [SCRAPEFLOW, "wait-db", "--timeout", "2"],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=closed),
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    assert waited.returncode == 1
    assert "did not answer within 2 s" in waited.stderr
    assert 2 <= elapsed < 15


def test_heartbeat_check_tells_a_live_process_from_a_silent_one(tmp_path: Path) -> None:
    from scrapeflow.observability.heartbeats import write_heartbeat
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", "")
    write_heartbeat(settings, "beat@fresh", ["beat"])
    write_heartbeat(settings, "beat@stale", ["beat"], now=time.time() - 300)
    env = clean_env(DATA_DIR=str(tmp_path / "data"))

    def check(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SCRAPEFLOW, "heartbeat-check", name, "--queue", "beat"], env=env, capture_output=True, text=True
        )

    assert check("beat@fresh").returncode == 0
    stale = check("beat@stale")
    assert stale.returncode == 1
    assert " s old" in stale.stderr
    assert "No heartbeat" in check("beat@never").stderr
