"use client";

/** Where the execution's rows were sent: one delivery per destination, with its attempts and last error. */
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDestinations, useExecutionDeliveries, type Delivery } from "@/hooks/queries/deliveries";

import { formatCount, formatDateTime } from "./format";

const TONE: Record<Delivery["status"], "neutral" | "info" | "warning" | "success" | "danger"> = {
  pending: "neutral",
  sending: "info",
  retrying: "warning",
  delivered: "success",
  failed: "danger",
};

export function DeliveriesTable({ executionId, live }: { executionId: string; live: boolean }) {
  const deliveries = useExecutionDeliveries(executionId, live);
  const destinations = useDestinations();
  const names = new Map((destinations.data ?? []).map((destination) => [destination.id, destination.name]));

  if (deliveries.isPending) return <Loading label="Loading deliveries…" />;
  if (deliveries.isError)
    return <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />;
  if (deliveries.data.items.length === 0) {
    return (
      <EmptyState title="No deliveries">
        This execution sent its rows nowhere. Add an export step to the bot to send rows to a{" "}
        <Link href="/settings/destinations" className="text-primary hover:underline">
          destination
        </Link>
        ; downloads are always available.
      </EmptyState>
    );
  }
  return (
    <Table aria-label="Deliveries">
      <TableHeader>
        <TableRow>
          <TableHead>Destination</TableHead>
          <TableHead>Status</TableHead>
          <TableHead>Event</TableHead>
          <TableHead className="text-right">Rows sent</TableHead>
          <TableHead className="text-right">Attempts</TableHead>
          <TableHead>Delivered</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {deliveries.data.items.map((delivery) => (
          <TableRow key={delivery.id}>
            <TableCell>{names.get(delivery.destination_id) ?? "Destination"}</TableCell>
            <TableCell>
              <Badge tone={TONE[delivery.status]}>{delivery.status}</Badge>
              {delivery.last_error ? (
                <p className="mt-1 max-w-80 text-xs text-destructive">{delivery.last_error}</p>
              ) : null}
            </TableCell>
            <TableCell className="text-xs">{delivery.event}</TableCell>
            <TableCell className="text-right tabular-nums">{formatCount(delivery.rows_sent)}</TableCell>
            <TableCell className="text-right tabular-nums">{delivery.attempts}</TableCell>
            <TableCell>{formatDateTime(delivery.delivered_at)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
