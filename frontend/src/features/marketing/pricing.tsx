"use client";

/** The pricing page: every plan from the API with its price (monthly or yearly) and limits. */
import { Check } from "lucide-react";
import Link from "next/link";
import { useState } from "react";

import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { ErrorState, Skeleton } from "@/components/ui/states";
import { usePlans } from "@/hooks/queries/payments";

import { monthlyPrice, planHighlights, yearlySaving, type Interval } from "./plan-format";

export function Pricing() {
  const plans = usePlans();
  const [interval, setInterval] = useState<Interval>("monthly");
  const saving = plans.data?.plans.map(yearlySaving).find((value) => value !== null && value > 0);

  return (
    <div className="mx-auto grid max-w-6xl gap-10 px-6 py-16">
      <div className="grid gap-3 text-center">
        <h1 className="text-4xl font-semibold tracking-tight">Pricing</h1>
        <p className="text-muted-foreground">
          Start free. Upgrade when your bots need more pages, runs or teammates.
        </p>
      </div>
      <div
        role="radiogroup"
        aria-label="Billing period"
        className="mx-auto inline-flex rounded-lg bg-muted p-1"
      >
        {(["monthly", "yearly"] as const).map((value) => (
          <button
            key={value}
            type="button"
            role="radio"
            aria-checked={interval === value}
            onClick={() => setInterval(value)}
            className="rounded-md px-4 py-1.5 text-sm font-medium text-muted-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none aria-checked:bg-background aria-checked:text-foreground aria-checked:shadow"
          >
            {value === "monthly" ? "Monthly" : `Yearly${saving ? ` (save ${saving}%)` : ""}`}
          </button>
        ))}
      </div>
      {plans.isPending ? (
        <div role="status" aria-label="Loading plans" className="grid gap-4 md:grid-cols-2 lg:grid-cols-4">
          {Array.from({ length: 4 }, (_, index) => (
            <Skeleton key={index} className="h-96" />
          ))}
        </div>
      ) : plans.isError ? (
        <ErrorState error={plans.error} onRetry={() => void plans.refetch()} />
      ) : (
        <>
          {!plans.data.billing_enabled ? (
            <p className="mx-auto max-w-2xl rounded-md bg-muted p-3 text-center text-sm text-muted-foreground">
              This server is self-hosted without billing: every account gets the{" "}
              {plans.data.plans.find((plan) => plan.name === plans.data.self_hosted_plan)?.title ?? "full"}{" "}
              plan for free. The prices below are the hosted service&apos;s.
            </p>
          ) : null}
          <div className="grid gap-4 md:grid-cols-2 lg:grid-cols-4">
            {plans.data.plans.map((plan) => {
              const price = monthlyPrice(plan, interval);
              const popular = plan.name === "pro";
              return (
                <Card key={plan.name} className={popular ? "border-primary ring-1 ring-primary" : undefined}>
                  <CardHeader>
                    <CardTitle className="flex items-center justify-between">
                      {plan.title}
                      {popular ? (
                        <span className="text-xs font-medium text-primary">Most popular</span>
                      ) : null}
                    </CardTitle>
                    <CardDescription>
                      <span className="text-3xl font-semibold text-foreground">{price ?? "Custom"}</span>
                      {price ? " / month" : null}
                      {price && interval === "yearly" && plan.price_yearly_usd_cents ? (
                        <span className="block text-xs">billed yearly</span>
                      ) : null}
                    </CardDescription>
                  </CardHeader>
                  <CardContent>
                    <ul className="grid gap-2 text-sm">
                      {planHighlights(plan).map((line) => (
                        <li key={line} className="flex gap-2">
                          <Check aria-hidden className="mt-0.5 size-4 shrink-0 text-primary" />
                          {line}
                        </li>
                      ))}
                    </ul>
                  </CardContent>
                  <CardFooter className="mt-auto border-0">
                    <Link
                      href="/register"
                      className={buttonVariants({
                        variant: popular ? "default" : "outline",
                        className: "w-full",
                      })}
                    >
                      {plan.price_monthly_usd_cents ? `Start with ${plan.title}` : "Start free"}
                    </Link>
                  </CardFooter>
                </Card>
              );
            })}
          </div>
        </>
      )}
    </div>
  );
}
