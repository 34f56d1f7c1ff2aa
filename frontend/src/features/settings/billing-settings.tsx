"use client";

/** The current plan, upgrading through Stripe Checkout, the customer portal, cancelling and invoices; on a
 * self-hosted server without billing, says so plainly instead. */
import { useSearchParams } from "next/navigation";
import { useState } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { ErrorState, Loading } from "@/components/ui/states";
import { monthlyPrice, planHighlights } from "@/features/marketing/plan-format";
import { hasRole, type Organization } from "@/hooks/queries/orgs";
import {
  useCancelSubscription,
  usePlans,
  usePortal,
  useSubscribe,
  type Plans,
} from "@/hooks/queries/payments";
import { useUsage, type Usage } from "@/hooks/queries/usage";
import { errorMessage } from "@/lib/api/client";

import { Invoices } from "./invoices";
import { RoleNote, SettingsHeader } from "./section";

export function BillingSettings({ org }: { org: Organization }) {
  const plans = usePlans();
  const usage = useUsage(org.id);
  return (
    <div className="grid gap-6">
      <SettingsHeader
        title="Plan & billing"
        description="Your organization's plan decides how much it can run."
      />
      {plans.isPending || usage.isPending ? (
        <Loading label="Loading plans…" />
      ) : plans.isError || usage.isError ? (
        <ErrorState
          error={plans.error ?? usage.error}
          onRetry={() => void Promise.all([plans.refetch(), usage.refetch()])}
        />
      ) : !plans.data.billing_enabled ? (
        <Card>
          <CardHeader>
            <CardTitle>Billing is turned off on this server</CardTitle>
            <CardDescription>
              This is a self-hosted ScrapeFlow without payments. Every organization has the{" "}
              <strong>{usage.data.limits.title}</strong> plan&apos;s limits, and there is nothing to buy or
              cancel.
            </CardDescription>
          </CardHeader>
        </Card>
      ) : (
        <Billing org={org} plans={plans.data} usage={usage.data} />
      )}
    </div>
  );
}

function Billing({ org, plans, usage }: { org: Organization; plans: Plans; usage: Usage }) {
  const isOwner = hasRole(org.role, "owner");
  const stripe = plans.providers.includes("stripe");
  const subscribe = useSubscribe();
  const portal = usePortal();
  const cancel = useCancelSubscription();
  const [notice, setNotice] = useState<string | null>(null);
  const returned = useSearchParams().get("checkout") === "success";

  const choose = async (plan: string) => {
    setNotice(null);
    try {
      const result = await subscribe.mutateAsync(plan);
      if (result.checkout_url) window.location.assign(result.checkout_url);
      else setNotice(result.notice ?? `Your organization is now on the ${result.plan} plan.`);
    } catch {
      // Shown below.
    }
  };
  const openPortal = async () => {
    try {
      window.location.assign(await portal.mutateAsync());
    } catch {
      // Shown below.
    }
  };

  const problem = subscribe.error ?? portal.error;
  return (
    <>
      {returned ? (
        <p
          role="status"
          className="rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900"
        >
          Thanks! Your payment went through; the new plan applies as soon as Stripe confirms it (usually
          within a minute).
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="rounded-md border border-border bg-muted p-3 text-sm">
          {notice}
        </p>
      ) : null}
      {problem ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(problem)}
        </p>
      ) : null}
      {!isOwner ? (
        <RoleNote>Only the organization&apos;s owners can change the plan or see invoices.</RoleNote>
      ) : null}
      {isOwner && !stripe ? (
        <RoleNote>
          Card payments through Stripe are not set up on this server; ask its administrator.
        </RoleNote>
      ) : null}
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-4">
        {plans.plans.map((plan) => {
          const current = plan.name === usage.plan;
          const price = monthlyPrice(plan, "monthly");
          return (
            <Card key={plan.name} className={current ? "border-primary ring-1 ring-primary" : undefined}>
              <CardHeader>
                <CardTitle className="flex items-center gap-2">
                  {plan.title} {current ? <Badge tone="info">Current plan</Badge> : null}
                </CardTitle>
                <CardDescription>{price ? `${price} / month` : "Custom pricing"}</CardDescription>
              </CardHeader>
              <CardContent>
                <ul className="grid gap-1 text-sm text-muted-foreground">
                  {planHighlights(plan)
                    .slice(0, 4)
                    .map((line) => (
                      <li key={line}>{line}</li>
                    ))}
                </ul>
              </CardContent>
              {isOwner && stripe && !current && plan.price_monthly_usd_cents ? (
                <CardFooter>
                  <Button
                    className="w-full"
                    variant={plan.priority > usage.limits.priority ? "default" : "outline"}
                    disabled={subscribe.isPending}
                    onClick={() => void choose(plan.name)}
                  >
                    {plan.priority > usage.limits.priority ? "Upgrade" : "Switch"} to {plan.title}
                  </Button>
                </CardFooter>
              ) : null}
            </Card>
          );
        })}
      </div>
      {isOwner ? (
        <Card>
          <CardHeader>
            <CardTitle>Subscription</CardTitle>
            <CardDescription>Update your card and billing details, or stop renewing.</CardDescription>
          </CardHeader>
          <CardContent className="flex flex-wrap gap-2">
            {stripe ? (
              <Button variant="outline" onClick={() => void openPortal()} disabled={portal.isPending}>
                {portal.isPending ? "Opening…" : "Manage payment details"}
              </Button>
            ) : null}
            {usage.plan !== "free" ? (
              <ConfirmDialog
                trigger={<Button variant="outline">Cancel subscription</Button>}
                title="Cancel your subscription?"
                description="Renewal stops. Your plan lasts until the end of the period you have paid for, then the organization moves to the Free plan."
                confirmLabel="Cancel subscription"
                onConfirm={async () => {
                  const result = await cancel.mutateAsync();
                  setNotice(
                    result.current_period_end
                      ? `Cancelled. The ${result.plan} plan lasts until ${new Date(result.current_period_end).toLocaleDateString("en")}.`
                      : "Cancelled.",
                  );
                }}
              />
            ) : null}
          </CardContent>
        </Card>
      ) : null}
      {isOwner ? <Invoices orgId={org.id} /> : null}
    </>
  );
}
