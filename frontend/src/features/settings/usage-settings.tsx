"use client";

/** This month's executions, pages and LLM tokens against the plan's limits, and the plan's other limits. */
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Progress } from "@/components/ui/progress";
import { ErrorState, Loading } from "@/components/ui/states";
import { useUsage, type Metered, type PlanLimits, type Usage } from "@/hooks/queries/usage";
import type { Organization } from "@/hooks/queries/orgs";

import { formatDate, formatNumber } from "./format";
import { SettingsHeader } from "./section";

const METERS: { key: string; label: string }[] = [
  { key: "executions", label: "Executions" },
  { key: "pages", label: "Pages scraped" },
  { key: "llm_tokens", label: "LLM tokens" },
];

export function UsageSettings({ org }: { org: Organization }) {
  const usage = useUsage(org.id);
  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="Usage"
        description="What this organization has used since the start of the billing month. Runs stop when a limit is reached."
      />
      {usage.isPending ? (
        <Loading label="Loading usage…" />
      ) : usage.isError ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <UsageReport usage={usage.data} />
      )}
    </div>
  );
}

export function UsageReport({ usage }: { usage: Usage }) {
  const counters = usage.usage as Record<string, Metered | undefined>;
  return (
    <>
      <Card>
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            This month <Badge tone="info">{usage.limits.title} plan</Badge>
          </CardTitle>
          <CardDescription>
            Since {formatDate(usage.period_start)}.
            {usage.pending_plan
              ? ` Changes to the ${usage.pending_plan} plan on ${formatDate(usage.pending_plan_at)}.`
              : null}
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-5">
          {METERS.map(({ key, label }) => {
            const meter = counters[key];
            return meter ? <Meter key={key} label={label} meter={meter} /> : null;
          })}
          {usage.billing_enabled ? (
            <p className="text-sm text-muted-foreground">
              Need more?{" "}
              <Link className="font-medium text-primary hover:underline" href="/settings/billing">
                Change plan
              </Link>
            </p>
          ) : null}
        </CardContent>
      </Card>
      <PlanLimitsCard limits={usage.limits} />
    </>
  );
}

function Meter({ label, meter }: { label: string; meter: Metered }) {
  const share = meter.limit ? Math.round((meter.used / meter.limit) * 100) : null;
  return (
    <div className="grid gap-1.5">
      <div className="flex items-baseline justify-between text-sm">
        <span className="font-medium">{label}</span>
        <span className="text-muted-foreground">
          {formatNumber(meter.used)} of {meter.limit === null ? "unlimited" : formatNumber(meter.limit)}
          {share !== null ? ` (${share}%)` : null}
        </span>
      </div>
      <Progress label={label} value={meter.used} max={meter.limit} />
    </div>
  );
}

function limit(value: number | null, unit = ""): string {
  return value === null ? "Unlimited" : `${formatNumber(value)}${unit}`;
}

export function describeInterval(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? "" : "s"}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? "" : "s"}`;
  return `${seconds} seconds`;
}

function PlanLimitsCard({ limits }: { limits: PlanLimits }) {
  const rows: [string, string][] = [
    ["Bots", limit(limits.bots)],
    ["Schedules", limit(limits.schedules)],
    ["Shortest schedule interval", describeInterval(limits.min_schedule_interval_seconds)],
    ["Runs at the same time", limit(limits.concurrent_executions)],
    ["Rows stored", limit(limits.rows_stored)],
    ["Team members", limit(limits.team_members)],
    ["Data kept for", `${formatNumber(limits.retention_days)} days`],
    ["API requests", `${formatNumber(limits.api_requests_per_minute)} per minute`],
  ];
  return (
    <Card>
      <CardHeader>
        <CardTitle>{limits.title} plan limits</CardTitle>
      </CardHeader>
      <CardContent>
        <dl className="grid grid-cols-2 gap-x-8 gap-y-2 text-sm md:grid-cols-4">
          {rows.map(([name, value]) => (
            <div key={name} className="grid">
              <dt className="text-muted-foreground">{name}</dt>
              <dd className="font-medium">{value}</dd>
            </div>
          ))}
        </dl>
      </CardContent>
    </Card>
  );
}
