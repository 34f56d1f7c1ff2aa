/** Export nodes: which rows they send; the destination itself is chosen in the panel. */
import type { NodeBodyProps, NodeDefinition } from "../registry";

function ExportBody({ values }: NodeBodyProps) {
  return (
    <p className="text-muted-foreground">
      {values.destination_id ? `Sends ${String(values.rows ?? "all")} rows` : "Choose a destination"}
    </p>
  );
}

export const exportNode: NodeDefinition = { Body: ExportBody };
