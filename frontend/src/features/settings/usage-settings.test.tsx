import { screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { Organization } from "@/hooks/queries/orgs";
import type { PlanLimits } from "@/hooks/queries/usage";
import { fakeApi, renderWithClient } from "@/test/render";

import { UsageSettings } from "./usage-settings";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());

const ORG = { id: "o1", name: "Acme", role: "viewer" } as Organization;
const LIMITS: PlanLimits = {
  name: "free",
  title: "Free",
  bots: 3,
  schedules: 1,
  team_members: 1,
  rows_stored: 10_000,
  concurrent_executions: 1,
  executions_per_month: 100,
  pages_per_month: 1_000,
  llm_tokens_per_month: null,
  min_schedule_interval_seconds: 3600,
  retention_days: 7,
  api_requests_per_minute: 60,
  priority: 0,
  features: [],
  price_monthly_usd_cents: 0,
  price_yearly_usd_cents: 0,
  price_monthly_krw: 0,
};

describe("UsageSettings", () => {
  it("draws one bar per counter against the plan's limit, and says unlimited where there is none", async () => {
    network.handler = fakeApi({
      "GET /api/v1/users/usage": {
        body: {
          plan: "free",
          billing_enabled: true,
          period_start: "2026-11-01T00:00:00Z",
          pending_plan: null,
          pending_plan_at: null,
          limits: LIMITS,
          usage: {
            executions: { used: 85, limit: 100 },
            pages: { used: 1_000, limit: 1_000 },
            llm_tokens: { used: 1234, limit: null },
          },
        },
      },
    }).handler;
    renderWithClient(<UsageSettings org={ORG} />);

    const executions = await screen.findByRole("progressbar", { name: "Executions" });
    expect(executions).toHaveAttribute("aria-valuenow", "85");
    expect(executions).toHaveAttribute("aria-valuemax", "100");
    expect(screen.getByText("85 of 100 (85%)")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Pages scraped" })).toHaveAttribute(
      "aria-valuenow",
      "1000",
    );
    expect(screen.getByText("1,000 of 1,000 (100%)")).toBeInTheDocument();
    expect(screen.getByText("1,234 of unlimited")).toBeInTheDocument();
    expect(screen.getByText("1 hour")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Change plan" })).toHaveAttribute("href", "/settings/billing");
  });

  it("offers to retry when usage does not load", async () => {
    network.handler = fakeApi({
      "GET /api/v1/users/usage": {
        status: 500,
        body: { error: { code: "INTERNAL", message: "Database down." } },
      },
    }).handler;
    renderWithClient(<UsageSettings org={ORG} />);

    expect(await screen.findByText("Database down.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
