"""Settings read from the environment (and `.env`); every default serves single-machine mode."""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Read by the web app's server (frontend/), not by the API; documented beside the settings.
WEB_APP_VARIABLES = ("SCRAPEFLOW_API_URL",)


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("./data")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    public_url: str = "http://localhost:8000"
    web_url: str = "http://localhost:3000"
    web_port: int = Field(default=3000, ge=1, le=65535)  # where `scrapeflow run` serves the web app
    # Peers whose X-Forwarded-For the API believes (the web app's proxy, a load balancer); IPs, CIDRs or "*".
    forwarded_allow_ips: str = "127.0.0.1,::1"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["http://localhost:3000"])
    log_level: str = "INFO"
    log_format: str = ""  # "json" or "console"; empty picks by environment
    metrics_token: str = ""  # empty: GET /metrics is open; else it needs `Authorization: Bearer <token>`
    prometheus_multiproc_dir: str = ""  # empty: $DATA_DIR/metrics; shared by every process that records metrics

    access_token_minutes: int = 15
    refresh_token_days: int = 7
    invitation_days: int = 7
    max_body_bytes: int = 1024 * 1024
    login_failures_per_email: int = 10
    login_failures_per_ip: int = 50
    login_failure_window_seconds: int = 900

    fetch_allowlist: str = ""  # hosts and CIDRs the engine may reach although private (self-hosting, tests)
    fetch_user_agent: str = "Mozilla/5.0 (compatible; ScrapeFlowBot/0.1; +https://scrapeflow.dev/bot)"
    fetch_timeout_seconds: float = 30.0
    fetch_max_bytes: int = 10 * 1024 * 1024
    test_run_timeout_seconds: float = 30.0
    # Per site, shared by every worker and organization (Redis in scale-out, the database on one machine).
    domain_max_concurrency: int = Field(default=8, ge=1)
    domain_min_delay_seconds: float = Field(default=0.0, ge=0.0)

    chromium_path: str = "/usr/bin/chromium"
    browser_contexts: int = 4  # browser contexts kept warm per worker process
    browser_page_timeout_seconds: float = 30.0

    openai_api_key: str = ""
    openai_base_url: str = ""  # empty: OpenAI; or OpenRouter, vLLM, Ollama… (any chat-completions server)
    openai_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 60.0

    scrape_batch_size: int = 250  # pages per scrape task at most (a chord of these per execution)
    scrape_concurrency: int = 16  # pages in flight at once in one scrape task
    artifacts_url: str = ""  # empty: $DATA_DIR/artifacts; s3://bucket/prefix for any S3-compatible store
    s3_endpoint_url: str = ""  # e.g. MinIO, R2, moto; empty: AWS
    worker_max_memory_mb: int = 1024  # a worker child past this is replaced after its task
    execution_stall_seconds: float = 120.0  # a stage quiet this long is re-enqueued (its worker died)
    schedule_min_interval_seconds: int = 60  # the server's floor under every plan's shortest schedule interval
    execution_retention_days: int = 30  # billing off: finished executions are deleted after this (else the plan's)

    # Plans and billing (billing/plans.py). Billing off: every organization has SELF_HOSTED_PLAN's limits.
    billing_enabled: bool = False
    self_hosted_plan: str = "enterprise"
    payment_grace_days: int = Field(default=7, ge=0)  # a failed renewal keeps the plan this long
    estimate_llm_tokens_per_page: int = Field(default=1500, ge=0)  # per llm_extract step, for estimates and caps
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # empty: Stripe's; tests point it at localstripe
    stripe_prices: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)  # plan=price_id,...
    toss_secret_key: str = ""
    toss_api_base: str = "https://api.tosspayments.com"
    rate_limits_enabled: bool = True
    rate_limit_user_per_minute: int = Field(default=1200, ge=1)  # the web app's own (signed-in) requests
    rate_limit_auth_per_minute: int = Field(default=20, ge=1)  # login and register, per IP

    # Exports: deliveries to webhooks, Slack, email and Google Sheets, retried on their own.
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)  # the first retry's delay; each next is 3x
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)  # one request to a receiver, start to end
    export_batch_rows: int = Field(default=1000, ge=1)  # rows per webhook message (large results go in batches)
    export_link_above_rows: int = Field(default=0, ge=0)  # above this many rows send a download link (0: never)
    export_link_ttl_seconds: int = Field(default=86400, ge=60)  # how long such a link works
    destination_disable_after: int = Field(default=5, ge=1)  # consecutive failed deliveries before disabling
    smtp_host: str = ""  # empty: no email destinations
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "ScrapeFlow <scrapeflow@localhost>"
    smtp_starttls: bool = True

    firecrawl_api_key: str = ""
    firecrawl_api_url: str = ""  # empty: Firecrawl's cloud when a key is set

    google_sheets_api_url: str = ""  # empty: Google's; else a server speaking the Sheets API (tests, a proxy)

    google_client_id: str = ""
    google_client_secret: str = ""
    google_authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    github_client_id: str = ""
    github_client_secret: str = ""
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"
    github_api_url: str = "https://api.github.com"

    @field_validator("stripe_prices", mode="before")
    @classmethod
    def _parse_pairs(cls, value: object) -> object:
        """`starter=price_1,pro=price_2` as well as JSON."""
        if isinstance(value, str):
            if value.lstrip().startswith("{"):
                return json.loads(value)
            pairs = (item.partition("=") for item in value.split(",") if item.strip())
            return {name.strip(): price.strip() for name, _, price in pairs}
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The async URL the application uses."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'scrapeflow.db').as_posix()}"
        scheme, _, rest = url.partition("://")
        driver = {
            "sqlite": "sqlite+aiosqlite",
            "sqlite+aiosqlite": "sqlite+aiosqlite",
            "postgres": "postgresql+psycopg",
            "postgresql": "postgresql+psycopg",
            "postgresql+psycopg": "postgresql+psycopg",
        }.get(scheme)
        if driver is None:
            raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgresql)")
        return f"{driver}://{rest}"

    @property
    def metrics_dir(self) -> Path:
        """Where every process writes its counters for `/metrics` to merge (prometheus_client multiprocess mode)."""
        return Path(self.prometheus_multiproc_dir) if self.prometheus_multiproc_dir else self.data_dir / "metrics"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Cookies are `Secure` everywhere but a plain-HTTP localhost site."""
        parts = urlsplit(self.public_url)
        return not (parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"})

    @cached_property
    def jwt_secret(self) -> str:
        return self.secret_key or _local_secret(self.data_dir)


def _local_secret(data_dir: Path) -> str:
    """Single-machine mode keeps a generated secret under the data folder."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(48))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: the first process to start wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
