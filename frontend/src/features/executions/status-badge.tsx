/** An execution's status as a coloured badge, with the words people read on every run screen. */
import { Loader2 } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import type { ExecutionStatus } from "@/hooks/queries/executions";

const LOOK: Record<
  ExecutionStatus,
  { label: string; tone: "neutral" | "success" | "warning" | "danger" | "info" }
> = {
  queued: { label: "Queued", tone: "neutral" },
  running: { label: "Running", tone: "info" },
  awaiting_review: { label: "Awaiting review", tone: "warning" },
  succeeded: { label: "Succeeded", tone: "success" },
  partially_succeeded: { label: "Partly succeeded", tone: "warning" },
  failed: { label: "Failed", tone: "danger" },
  cancelled: { label: "Cancelled", tone: "neutral" },
};

export const STATUS_OPTIONS = Object.entries(LOOK).map(([value, look]) => ({
  value: value as ExecutionStatus,
  label: look.label,
}));

export function ExecutionStatusBadge({ status }: { status: ExecutionStatus }) {
  const look = LOOK[status];
  return (
    <Badge tone={look.tone} className="gap-1">
      {status === "running" ? <Loader2 aria-hidden className="size-3 animate-spin" /> : null}
      {look.label}
    </Badge>
  );
}
