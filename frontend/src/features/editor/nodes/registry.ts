/** Per-type extras for the canvas: a custom body (what the node shows under its title) and a client-side check
 * that runs before the server's validation. Types without an entry use the generic summary. */
import type { ComponentType } from "react";

import type { NodeValues } from "../types";
import { exportNode } from "./export";
import { extractNode } from "./extract";
import { startNode } from "./start";

export interface NodeBodyProps {
  values: NodeValues;
}

export interface NodeDefinition {
  Body?: ComponentType<NodeBodyProps>;
  /** A problem the panel shows before the server's answer arrives. */
  check?: (values: NodeValues) => string | null;
}

export const NODE_REGISTRY: Record<string, NodeDefinition> = {
  start: startNode,
  extract: extractNode,
  export_webhook: exportNode,
  export_sheets: exportNode,
  export_slack: exportNode,
};

/** A one-line description of any node's settings, for types without their own body. */
export function summarize(values: NodeValues): string {
  return Object.entries(values)
    .filter(([key, value]) => key !== "label" && value !== null && value !== "" && typeof value !== "object")
    .slice(0, 3)
    .map(([key, value]) => `${key.replace(/_/g, " ")}: ${String(value)}`)
    .join(" · ");
}
