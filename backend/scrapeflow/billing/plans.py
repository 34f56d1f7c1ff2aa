"""The plans, in one place: what each may do, what it costs, and the plan an organization is held to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from scrapeflow.config import Settings


class Feature(StrEnum):
    browser = "browser"  # headless-browser rendering
    llm = "llm"  # LLM extraction with the server's key
    sheets = "sheets"  # Google Sheets exports
    webhooks = "webhooks"  # webhook exports


@dataclass(frozen=True)
class Plan:
    """A plan's price and limits; None means unlimited."""

    name: str
    title: str
    price_monthly_usd_cents: int | None  # None: priced on request
    price_yearly_usd_cents: int | None
    price_monthly_krw: int | None  # Toss Payments charges in won
    executions_per_month: int | None
    pages_per_month: int | None
    rows_stored: int | None
    bots: int | None
    schedules: int | None
    min_schedule_interval_seconds: int
    concurrent_executions: int | None
    api_requests_per_minute: int
    llm_tokens_per_month: int | None
    retention_days: int
    priority: int  # Celery queue priority, 0-9, higher first
    features: frozenset[Feature]
    team_members: int | None

    def allows(self, feature: Feature) -> bool:
        return feature in self.features

    def public(self) -> dict[str, Any]:
        values = asdict(self)
        values["features"] = sorted(feature.value for feature in self.features)
        return values


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan(
            name="free",
            title="Free",
            price_monthly_usd_cents=0,
            price_yearly_usd_cents=0,
            price_monthly_krw=0,
            executions_per_month=100,
            pages_per_month=1_000,
            rows_stored=10_000,
            bots=3,
            schedules=1,
            min_schedule_interval_seconds=3600,
            concurrent_executions=1,
            api_requests_per_minute=10,
            llm_tokens_per_month=0,
            retention_days=7,
            priority=0,
            features=frozenset({Feature.webhooks}),
            team_members=1,
        ),
        Plan(
            name="starter",
            title="Starter",
            price_monthly_usd_cents=1_900,
            price_yearly_usd_cents=19_000,
            price_monthly_krw=25_000,
            executions_per_month=1_000,
            pages_per_month=20_000,
            rows_stored=100_000,
            bots=20,
            schedules=10,
            min_schedule_interval_seconds=900,
            concurrent_executions=2,
            api_requests_per_minute=30,
            llm_tokens_per_month=500_000,
            retention_days=30,
            priority=3,
            features=frozenset({Feature.browser, Feature.llm, Feature.webhooks}),
            team_members=3,
        ),
        Plan(
            name="pro",
            title="Pro",
            price_monthly_usd_cents=7_900,
            price_yearly_usd_cents=79_000,
            price_monthly_krw=99_000,
            executions_per_month=10_000,
            pages_per_month=200_000,
            rows_stored=1_000_000,
            bots=100,
            schedules=100,
            min_schedule_interval_seconds=60,
            concurrent_executions=5,
            api_requests_per_minute=100,
            llm_tokens_per_month=5_000_000,
            retention_days=90,
            priority=6,
            features=frozenset(Feature),
            team_members=10,
        ),
        Plan(
            name="enterprise",
            title="Enterprise",
            price_monthly_usd_cents=49_900,
            price_yearly_usd_cents=499_000,
            price_monthly_krw=649_000,
            executions_per_month=None,
            pages_per_month=None,
            rows_stored=None,
            bots=None,
            schedules=None,
            min_schedule_interval_seconds=60,
            concurrent_executions=20,
            api_requests_per_minute=500,
            llm_tokens_per_month=None,
            retention_days=365,
            priority=9,
            features=frozenset(Feature),
            team_members=None,
        ),
    )
}
PLAN_ORDER = tuple(PLANS)


def plan_named(name: str | None) -> Plan:
    """A plan by name; an unknown name (a plan retired since) is held to the free plan."""
    return PLANS.get(name or "free", PLANS["free"])


def effective_plan(settings: Settings, org_plan: str | None) -> Plan:
    """The plan an organization is held to: its own when billing is on, else the server's `SELF_HOSTED_PLAN`."""
    return plan_named(org_plan if settings.billing_enabled else settings.self_hosted_plan)


def is_upgrade(old: str, new: str) -> bool:
    return PLAN_ORDER.index(plan_named(new).name) > PLAN_ORDER.index(plan_named(old).name)
