"""The servers the end-to-end tests drive, as real processes on free ports: the API, a worker and the web app's
production build (`next start` through the same preload `scrapeflow run` uses)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scrapeflow.cli import FRONTEND, web_app_command
from tests.processes import stop_groups


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BUILD_SOURCES = ("src", "public", "server", "next.config.ts", "package.json", "package-lock.json", "tsconfig.json")


def build_is_stale() -> bool:
    built = FRONTEND / ".next" / "BUILD_ID"
    if not built.is_file():
        return True
    stamp = built.stat().st_mtime
    for name in BUILD_SOURCES:
        source = FRONTEND / name
        files = source.rglob("*") if source.is_dir() else [source] if source.exists() else []
        if any(path.stat().st_mtime > stamp for path in files):
            return True
    return False


def ensure_web_build() -> None:
    """The tests drive the production build of the current sources; `scripts/test` makes it first, a lone
    `pytest tests/web` here."""
    if shutil.which("node") is None:
        raise RuntimeError("Node.js 20 or later is needed for the web app's tests")
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save"], cwd=FRONTEND, check=True)  # noqa: S607
    if build_is_stale():
        env = os.environ | {"NEXT_TELEMETRY_DISABLED": "1"}
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, env=env, check=True)  # noqa: S607


@dataclass
class Servers:
    """Processes started for the session, each in its own process group (so its children stop with it)."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append(process)

    def api(self, port: int, env: dict[str, str]) -> str:
        self.start("api", [sys.executable, "-m", "scrapeflow.cli", "api", "--port", str(port)], env)
        url = f"http://127.0.0.1:{port}"
        self.wait_until_ready(f"{url}/ready")
        return url

    def worker(self, env: dict[str, str]) -> None:
        self.start("worker", [sys.executable, "-m", "scrapeflow.cli", "worker", "-c", "1"], env)

    def web(self, port: int, api_url: str) -> str:
        command = web_app_command("127.0.0.1", port)
        assert isinstance(command, list), command
        env = os.environ | {"SCRAPEFLOW_API_URL": api_url, "NEXT_TELEMETRY_DISABLED": "1"}
        self.start("web", command, env, cwd=FRONTEND)
        url = f"http://127.0.0.1:{port}"
        self.wait_until_ready(url)
        return url

    def wait_until_ready(self, url: str, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if any(process.poll() is not None for process in self.started):
                break
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer 200:\n{self.output()}")

    def stop_all(self) -> None:
        stop_groups(self.started, grace=20)

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}" for path in sorted(self.logs.glob("*.log"))
        )
