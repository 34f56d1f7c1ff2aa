"""Request and response bodies of plans, usage, estimates and payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from scrapeflow.kit.schemas import InputSchema, Schema


class PlanLimits(Schema):
    name: str
    title: str
    price_monthly_usd_cents: int | None
    price_yearly_usd_cents: int | None
    price_monthly_krw: int | None
    executions_per_month: int | None = Field(description="None: unlimited (as for every limit here).")
    pages_per_month: int | None
    rows_stored: int | None
    bots: int | None
    schedules: int | None
    min_schedule_interval_seconds: int
    concurrent_executions: int | None
    api_requests_per_minute: int
    llm_tokens_per_month: int | None
    retention_days: int
    priority: int = Field(description="Queue priority of its executions (0-9, higher first).")
    features: list[str] = Field(description="browser, llm, sheets, webhooks.")
    team_members: int | None


class Plans(Schema):
    billing_enabled: bool = Field(description="False: every organization has `self_hosted_plan`.")
    self_hosted_plan: str
    providers: list[str] = Field(description="Payment providers configured on this server.")
    plans: list[PlanLimits]


class Counter(Schema):
    used: int
    limit: int | None


class Usage(Schema):
    plan: str
    billing_enabled: bool
    period_start: date
    usage: dict[str, Counter] = Field(description="executions, pages and llm_tokens this month.")
    pending_plan: str | None = Field(description="A downgrade that applies from `pending_plan_at`.")
    pending_plan_at: datetime | None
    limits: PlanLimits


class Estimate(Schema):
    pages: int = Field(description="Pages the run starts from (Start URLs widened by the map step).")
    llm_tokens: int = Field(description="Expected LLM tokens (ESTIMATE_LLM_TOKENS_PER_PAGE per AI step and page).")
    cost: int = Field(description="Credits: 1 per page, 1 per 1,000 LLM tokens.")
    plan: str
    pages_left_this_month: int | None
    fits_quota: bool
    sample_urls: list[str]


class Subscribe(InputSchema):
    plan: str = Field(max_length=32, description="starter, pro or enterprise.")
    provider: Literal["stripe", "toss"] = "stripe"
    success_url: str | None = Field(default=None, max_length=2000)
    cancel_url: str | None = Field(default=None, max_length=2000)
    auth_key: str | None = Field(default=None, max_length=300, description="Toss: from its card window.")
    customer_key: str | None = Field(default=None, max_length=300, description="Toss: the customer key you gave it.")


class Subscribed(Schema):
    provider: str
    plan: str
    checkout_url: str | None = Field(description="Stripe: send the user here to pay; None once the change is made.")
    status: str
    notice: str | None = Field(description="What the user should know (e.g. a downgrade that waits for next month).")


class PortalRequest(InputSchema):
    return_url: str | None = Field(default=None, max_length=2000)


class Portal(Schema):
    url: str


class CancelRequest(InputSchema):
    immediately: bool = Field(default=False, description="End the plan now instead of at the period's end.")


class SubscriptionOut(Schema):
    provider: str
    plan: str
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    grace_until: datetime | None


class InvoiceOut(Schema):
    id: str
    amount: int
    currency: str
    status: str
    created_at: datetime
    url: str | None


class WebhookResult(Schema):
    result: Literal["applied", "duplicate", "ignored"]
