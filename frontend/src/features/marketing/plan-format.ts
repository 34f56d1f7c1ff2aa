/** How plans read on the pricing page and in billing settings: prices and the headline limits. */
import type { PlanLimits } from "@/hooks/queries/usage";

export type Interval = "monthly" | "yearly";

const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const count = new Intl.NumberFormat("en");

/** The price per month for the interval (yearly billing is shown per month), or null when the plan has none. */
export function monthlyPrice(plan: PlanLimits, interval: Interval): string | null {
  const cents = interval === "yearly" ? plan.price_yearly_usd_cents : plan.price_monthly_usd_cents;
  if (cents === null) return null;
  return usd.format(interval === "yearly" ? cents / 12 / 100 : cents / 100);
}

export function yearlySaving(plan: PlanLimits): number | null {
  const monthly = plan.price_monthly_usd_cents;
  const yearly = plan.price_yearly_usd_cents;
  if (!monthly || yearly === null) return null;
  return Math.round((1 - yearly / (monthly * 12)) * 100);
}

function amount(value: number | null, noun: string): string {
  return value === null ? `Unlimited ${noun}` : `${count.format(value)} ${noun}`;
}

const FEATURES: Record<string, string> = {
  browser: "Headless-browser rendering for JavaScript sites",
  llm: "LLM extraction",
  sheets: "Google Sheets delivery",
  webhooks: "Webhook delivery",
};

export function planHighlights(plan: PlanLimits): string[] {
  return [
    amount(plan.pages_per_month, "pages a month"),
    amount(plan.executions_per_month, "executions a month"),
    amount(plan.bots, "bots"),
    amount(plan.schedules, "schedules"),
    amount(plan.team_members, "team members"),
    `${count.format(plan.retention_days)}-day data retention`,
    ...plan.features.map((feature) => FEATURES[feature] ?? feature),
  ];
}
