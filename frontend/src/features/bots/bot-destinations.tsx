"use client";

/** The destinations this bot's rows go to: those its export steps name (downloads are always available). */
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { Bot } from "@/hooks/queries/bots";
import { useDestinations } from "@/hooks/queries/deliveries";

const TYPE_LABELS: Record<string, string> = {
  webhook: "Webhook",
  google_sheets: "Google Sheets",
  slack: "Slack",
  email: "Email",
};

/** The destination ids named by the workflow's export steps, with the step that names each. */
export function exportSteps(workflow: Bot["workflow_json"]): { nodeId: string; destinationId: string }[] {
  const nodes = Array.isArray(workflow.nodes) ? (workflow.nodes as unknown[]) : [];
  return nodes.flatMap((node) => {
    const { id, type, data } = (node ?? {}) as {
      id?: string;
      type?: string;
      data?: { destination_id?: unknown };
    };
    const destinationId = data?.destination_id;
    return type?.startsWith("export_") && typeof destinationId === "string" && destinationId
      ? [{ nodeId: String(id), destinationId }]
      : [];
  });
}

export function BotDestinations({ bot }: { bot: Bot }) {
  const destinations = useDestinations();
  const steps = exportSteps(bot.workflow_json);
  const manage = (
    <Link href="/settings/destinations" className="text-primary hover:underline">
      Manage destinations
    </Link>
  );

  if (steps.length === 0) {
    return (
      <EmptyState title="Rows go nowhere yet" action={manage}>
        Add an export step (webhook, Google Sheets, Slack) to this bot in the editor to send each run&apos;s
        rows to a destination. Every run can also be downloaded as CSV, JSON or Excel.
      </EmptyState>
    );
  }
  if (destinations.isPending) return <Loading label="Loading destinations…" />;
  if (destinations.isError) {
    return <ErrorState error={destinations.error} onRetry={() => void destinations.refetch()} />;
  }
  const byId = new Map(destinations.data.map((destination) => [destination.id, destination]));
  return (
    <div className="grid gap-3">
      <Table aria-label="Destinations">
        <TableHeader>
          <TableRow>
            <TableHead>Destination</TableHead>
            <TableHead>Type</TableHead>
            <TableHead>State</TableHead>
            <TableHead>Export step</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {steps.map((step) => {
            const destination = byId.get(step.destinationId);
            return (
              <TableRow key={`${step.nodeId}-${step.destinationId}`}>
                <TableCell className="font-medium">{destination?.name ?? "Deleted destination"}</TableCell>
                <TableCell>
                  {destination ? (TYPE_LABELS[destination.type] ?? destination.type) : "—"}
                </TableCell>
                <TableCell>
                  {!destination ? (
                    <Badge tone="danger">Missing — nothing is sent</Badge>
                  ) : destination.is_active ? (
                    <Badge tone="success">Active</Badge>
                  ) : (
                    <Badge tone="warning">
                      Disabled{destination.disabled_reason ? `: ${destination.disabled_reason}` : ""}
                    </Badge>
                  )}
                </TableCell>
                <TableCell className="font-mono text-xs">{step.nodeId}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      <p className="text-sm">{manage}</p>
    </div>
  );
}
