/** The editor's shapes: the backend's node catalogue and workflow document, and the canvas nodes built from them. */
import type { Edge, Node } from "@xyflow/react";

import type { components } from "@/lib/api/schema";

export type NodeTypeInfo = components["schemas"]["NodeTypeInfo"];
export type Stage = NodeTypeInfo["category"];
export type ValidationIssue = components["schemas"]["ValidationIssue"];
export type NodeRun = components["schemas"]["NodeRun"];
export type TestRun = components["schemas"]["TestRun"];

export type NodeValues = Record<string, unknown>;

/** One step of a bot as the backend stores it (`workflow_json.nodes[]`). */
export interface DocumentNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: NodeValues;
}

export interface DocumentEdge {
  id: string;
  source: string;
  target: string;
}

/** The backend's bot language: the React Flow document the editor saves. */
export interface WorkflowDocument {
  nodes: DocumentNode[];
  edges: DocumentEdge[];
}

/** On the canvas every step uses one generic component; the step's own type and values live in `data`. */
export interface StepData extends Record<string, unknown> {
  kind: string;
  values: NodeValues;
}

export type StepNode = Node<StepData, "step">;
export type StepEdge = Edge;

export const STAGE_ORDER: Stage[] = ["source", "page", "post", "sink"];

export const STAGE_TITLES: Record<Stage, string> = {
  source: "Sources",
  page: "Page steps",
  post: "After the page",
  sink: "Exports",
};
