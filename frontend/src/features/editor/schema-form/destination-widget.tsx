"use client";

/** An export step's destination, chosen by name from the organization's destinations (not typed as an id). */
import Link from "next/link";

import { Field } from "@/components/ui/field";
import { NativeSelect } from "@/components/ui/input";
import { useDestinations } from "@/hooks/queries/destinations";
import { useSession } from "@/lib/api/session";

import type { WidgetProps } from "./widgets";

const TYPE_LABELS: Record<string, string> = {
  webhook: "webhook",
  slack: "Slack",
  email: "email",
  google_sheets: "Google Sheets",
};

export function DestinationWidget({ label, value, error, onChange }: WidgetProps) {
  const orgId = useSession((state) => state.orgId);
  const destinations = useDestinations(orgId);
  const items = destinations.data ?? [];
  const current = typeof value === "string" ? value : "";
  const known = items.some((item) => item.id === current);
  const hint = destinations.isError ? (
    "The destinations could not be loaded."
  ) : (
    <>
      Where the rows go.{" "}
      <Link href="/settings/destinations" className="text-primary underline-offset-4 hover:underline">
        Manage destinations
      </Link>
    </>
  );
  return (
    <Field label={label} error={error} hint={hint}>
      <NativeSelect
        value={current}
        disabled={destinations.isPending}
        onChange={(event) => onChange(event.target.value || null)}
      >
        <option value="">{destinations.isPending ? "Loading…" : "Choose a destination"}</option>
        {current && !known && !destinations.isPending ? (
          <option value={current}>Unknown destination ({current.slice(0, 8)})</option>
        ) : null}
        {items.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name} ({TYPE_LABELS[item.type] ?? item.type}){item.is_active ? "" : " — disabled"}
          </option>
        ))}
      </NativeSelect>
    </Field>
  );
}
