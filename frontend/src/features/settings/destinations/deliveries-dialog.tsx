"use client";

/** A destination's recent deliveries: what was sent, whether it arrived, and the last error. */
import { Badge } from "@/components/ui/badge";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useDeliveries, type Delivery, type Destination } from "@/hooks/queries/destinations";

import { formatDateTime, formatNumber } from "../format";

const TONES: Record<Delivery["status"], "success" | "danger" | "warning" | "neutral"> = {
  delivered: "success",
  failed: "danger",
  retrying: "warning",
  sending: "neutral",
  pending: "neutral",
};

export function DeliveriesDialog({
  destination,
  onClose,
}: {
  destination: Destination;
  onClose: () => void;
}) {
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent title={`Recent deliveries to ${destination.name}`} className="max-w-3xl">
        <DeliveriesTable destinationId={destination.id} />
      </DialogContent>
    </Dialog>
  );
}

function DeliveriesTable({ destinationId }: { destinationId: string }) {
  const deliveries = useDeliveries(destinationId);
  if (deliveries.isPending) return <Loading label="Loading deliveries…" />;
  if (deliveries.isError)
    return <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />;
  if (deliveries.data.length === 0) {
    return (
      <EmptyState title="Nothing sent yet">Deliveries appear here after an execution sends rows.</EmptyState>
    );
  }
  return (
    <div className="max-h-[60vh] overflow-y-auto">
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>When</TableHead>
            <TableHead>Event</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Rows</TableHead>
            <TableHead>Details</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {deliveries.data.map((delivery) => (
            <TableRow key={delivery.id}>
              <TableCell className="whitespace-nowrap">{formatDateTime(delivery.created_at)}</TableCell>
              <TableCell>{delivery.event}</TableCell>
              <TableCell>
                <Badge tone={TONES[delivery.status]} className="capitalize">
                  {delivery.status}
                </Badge>
              </TableCell>
              <TableCell>{formatNumber(delivery.rows_sent)}</TableCell>
              <TableCell className="max-w-64 text-xs text-muted-foreground">
                {delivery.last_error ??
                  (delivery.last_status_code ? `HTTP ${delivery.last_status_code}` : null) ??
                  `${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
