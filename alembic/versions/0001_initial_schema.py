"""Initial schema: accounts, organizations, bots, executions, exports, billing, audit.

Every tenant-owned table carries `org_id` (cascading from its organization) and leads
its indexes with it. Keys are UUIDs, timestamps timezone-aware UTC, documents JSON
(JSONB on PostgreSQL). Enumerations are plain strings so new members need no DDL.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from scrapeflow.kit.db_types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _org_id() -> sa.Column[object]:
    return sa.Column("org_id", sa.Uuid(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)


def _fk(name: str, table: str, *, ondelete: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.Uuid(), sa.ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable)


def _time(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _timestamps() -> list[sa.Column[object]]:
    return [_time("created_at", nullable=False), _time("updated_at", nullable=False)]


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _int(name: str, kind: type[sa.Integer] = sa.Integer) -> sa.Column[object]:
    return sa.Column(name, kind(), nullable=False)


def _index(table: str, *columns: str, unique: bool = False) -> None:
    prefix = "uq" if unique else "ix"
    op.create_index(f"{prefix}_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def _bot_document() -> list[sa.Column[object]]:
    """The fields a bot and each of its versions share."""
    return [
        _str("name", 200),
        sa.Column("description", sa.Text(), nullable=False),
        _str("start_url", 2048, nullable=True),
        sa.Column("workflow_json", JSON, nullable=False),
        sa.Column("settings", JSON, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "organizations",
        _id(),
        _str("name", 200),
        _str("slug", 80),
        sa.Column("is_personal", sa.Boolean(), nullable=False),
        _str("plan", 32),
        _str("billing_email", 320, nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "users",
        _id(),
        _str("email", 320),
        _str("name", 200),
        _str("password_hash", 255, nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        _fk("default_org_id", "organizations", ondelete="SET NULL"),
        _time("last_login_at"),
        *_timestamps(),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "oauth_accounts",
        _id(),
        _fk("user_id", "users", ondelete="CASCADE", nullable=False),
        _str("provider", 32),
        _str("provider_account_id", 255),
        _str("email", 320),
        *_timestamps(),
        sa.UniqueConstraint("provider", "provider_account_id"),
    )
    _index("oauth_accounts", "user_id")
    op.create_table(
        "refresh_tokens",
        _id(),
        _fk("user_id", "users", ondelete="CASCADE", nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        _str("token_hash", 64),
        _time("created_at", nullable=False),
        _time("expires_at", nullable=False),
        _time("rotated_at"),
        _time("revoked_at"),
        _str("user_agent", 255),
        _str("ip", 64),
        sa.UniqueConstraint("token_hash"),
    )
    _index("refresh_tokens", "user_id", "family_id")

    op.create_table(
        "memberships",
        _id(),
        _org_id(),
        _fk("user_id", "users", ondelete="CASCADE", nullable=False),
        _str("role", 32),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "user_id"),
    )
    _index("memberships", "user_id")
    op.create_table(
        "invitations",
        _id(),
        _org_id(),
        _str("email", 320),
        _str("role", 32),
        _str("token_hash", 64),
        _fk("invited_by_id", "users", ondelete="SET NULL"),
        _time("expires_at", nullable=False),
        _time("accepted_at"),
        _time("revoked_at"),
        *_timestamps(),
        sa.UniqueConstraint("token_hash"),
    )
    _index("invitations", "org_id", "email")
    op.create_table(
        "api_keys",
        _id(),
        _org_id(),
        _str("name", 200),
        _str("prefix", 16),
        _str("key_hash", 64),
        sa.Column("scopes", JSON, nullable=False),
        _fk("created_by_id", "users", ondelete="SET NULL"),
        _time("last_used_at"),
        _time("expires_at"),
        _time("revoked_at"),
        *_timestamps(),
        sa.UniqueConstraint("key_hash"),
    )
    _index("api_keys", "org_id", "created_at")

    op.create_table(
        "bots",
        _id(),
        _org_id(),
        *_bot_document(),
        _int("version"),
        _fk("created_by_id", "users", ondelete="SET NULL"),
        *_timestamps(),
    )
    for column in ("created_at", "updated_at", "name"):
        _index("bots", "org_id", column)
    op.create_table(
        "bot_versions",
        _id(),
        _org_id(),
        _fk("bot_id", "bots", ondelete="CASCADE", nullable=False),
        _int("version"),
        *_bot_document(),
        _str("message", 500),
        _fk("created_by_id", "users", ondelete="SET NULL"),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "bot_id", "version"),
    )
    op.create_table(
        "schedules",
        _id(),
        _org_id(),
        _fk("bot_id", "bots", ondelete="CASCADE", nullable=False),
        _str("cron_expression", 120),
        _str("timezone", 64),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _time("next_run_at"),
        _time("last_run_at"),
        _fk("created_by_id", "users", ondelete="SET NULL"),
        *_timestamps(),
    )
    _index("schedules", "org_id", "bot_id")
    _index("schedules", "is_active", "next_run_at")

    op.create_table(
        "executions",
        _id(),
        _org_id(),
        _fk("bot_id", "bots", ondelete="CASCADE", nullable=False),
        _int("bot_version"),
        _fk("schedule_id", "schedules", ondelete="SET NULL"),
        _fk("parent_id", "executions", ondelete="SET NULL"),
        _fk("triggered_by_id", "users", ondelete="SET NULL"),
        _str("trigger", 32),
        _str("status", 32),
        _str("stage", 32, nullable=True),
        _int("priority"),
        *[_int(name) for name in ("urls_found", "pages_done", "pages_failed", "rows_count", "llm_tokens")],
        sa.Column("caps", JSON, nullable=False),
        sa.Column("stage_timings", JSON, nullable=False),
        _str("error_code", 64, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _time("started_at"),
        _time("finished_at"),
        *_timestamps(),
    )
    _index("executions", "org_id", "created_at")
    _index("executions", "org_id", "bot_id", "created_at")
    _index("executions", "org_id", "status")
    op.create_table(
        "execution_logs",
        _id(),
        _org_id(),
        _fk("execution_id", "executions", ondelete="CASCADE", nullable=False),
        _int("seq", sa.BigInteger),
        _str("level", 16),
        _str("event", 64),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        _time("created_at", nullable=False),
        sa.UniqueConstraint("org_id", "execution_id", "seq"),
    )
    op.create_table(
        "pages",
        _id(),
        _org_id(),
        _fk("execution_id", "executions", ondelete="CASCADE", nullable=False),
        _fk("bot_id", "bots", ondelete="CASCADE", nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _str("url_hash", 64),
        _int("depth"),
        _str("status", 32),
        sa.Column("http_status", sa.Integer(), nullable=True),
        _str("render", 16, nullable=True),
        _int("attempts"),
        _str("error_code", 64, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _str("content_hash", 64, nullable=True),
        _str("snapshot_key", 512, nullable=True),
        _time("fetched_at"),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "execution_id", "url_hash"),
    )
    _index("pages", "org_id", "execution_id", "status")
    op.create_table(
        "result_rows",
        _id(),
        _org_id(),
        _fk("bot_id", "bots", ondelete="CASCADE", nullable=False),
        _fk("execution_id", "executions", ondelete="CASCADE", nullable=False),
        _fk("page_id", "pages", ondelete="SET NULL"),
        _str("row_key", 128),
        sa.Column("data", JSON, nullable=False),
        _str("change_status", 32),
        sa.Column("diff", JSON, nullable=False),
        _str("review_status", 32, nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("org_id", "execution_id", "row_key"),
    )
    _index("result_rows", "org_id", "bot_id", "row_key")
    _index("result_rows", "org_id", "bot_id", "change_status")

    op.create_table(
        "export_destinations",
        _id(),
        _org_id(),
        _str("type", 32),
        _str("name", 200),
        sa.Column("config", JSON, nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _int("consecutive_failures"),
        _time("disabled_at"),
        *_timestamps(),
    )
    _index("export_destinations", "org_id", "created_at")
    op.create_table(
        "deliveries",
        _id(),
        _org_id(),
        _fk("destination_id", "export_destinations", ondelete="CASCADE", nullable=False),
        _fk("execution_id", "executions", ondelete="CASCADE"),
        _str("event", 64),
        _str("status", 32),
        _int("attempts"),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        _time("next_attempt_at"),
        _time("delivered_at"),
        *_timestamps(),
    )
    _index("deliveries", "org_id", "destination_id", "created_at")
    _index("deliveries", "org_id", "execution_id")
    _index("deliveries", "status", "next_attempt_at")

    op.create_table(
        "subscriptions",
        _id(),
        _org_id(),
        _str("provider", 16),
        _str("provider_customer_id", 255, nullable=True),
        _str("provider_subscription_id", 255, nullable=True),
        _str("plan", 32),
        _str("status", 32),
        _time("current_period_start"),
        _time("current_period_end"),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        _time("grace_until"),
        _time("last_event_at"),
        *_timestamps(),
        sa.UniqueConstraint("provider", "provider_subscription_id"),
    )
    _index("subscriptions", "org_id", "created_at")
    op.create_table(
        "payments",
        _id(),
        _org_id(),
        _fk("subscription_id", "subscriptions", ondelete="SET NULL"),
        _str("provider", 16),
        _str("provider_payment_id", 255),
        _int("amount", sa.BigInteger),
        _str("currency", 3),
        _str("status", 32),
        _time("paid_at"),
        sa.Column("details", JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("provider", "provider_payment_id"),
    )
    _index("payments", "org_id", "created_at")
    op.create_table(
        "usage_counters",
        _id(),
        _org_id(),
        sa.Column("period_start", sa.Date(), nullable=False),
        *[_int(name, sa.BigInteger) for name in ("executions", "pages", "rows", "llm_tokens", "api_requests")],
        *_timestamps(),
        sa.UniqueConstraint("org_id", "period_start"),
    )
    op.create_table(
        "audit_log",
        _id(),
        _org_id(),
        _fk("actor_user_id", "users", ondelete="SET NULL"),
        _fk("actor_api_key_id", "api_keys", ondelete="SET NULL"),
        _str("action", 64),
        _str("target_type", 64, nullable=True),
        _str("target_id", 64, nullable=True),
        sa.Column("data", JSON, nullable=False),
        _str("ip", 64, nullable=True),
        _time("created_at", nullable=False),
    )
    _index("audit_log", "org_id", "created_at")


TABLES_IN_CREATION_ORDER = [
    "organizations",
    "users",
    "oauth_accounts",
    "refresh_tokens",
    "memberships",
    "invitations",
    "api_keys",
    "bots",
    "bot_versions",
    "schedules",
    "executions",
    "execution_logs",
    "pages",
    "result_rows",
    "export_destinations",
    "deliveries",
    "subscriptions",
    "payments",
    "usage_counters",
    "audit_log",
]


def downgrade() -> None:
    for table in reversed(TABLES_IN_CREATION_ORDER):
        op.drop_table(table)
