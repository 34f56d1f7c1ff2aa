/** Converts between the backend's workflow document (`workflow_json`) and the canvas's nodes and edges. */
import type { DocumentEdge, DocumentNode, StepEdge, StepNode, WorkflowDocument } from "../types";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function fromDocument(document: unknown): { nodes: StepNode[]; edges: StepEdge[] } {
  const source = isRecord(document) ? document : {};
  const rawNodes = Array.isArray(source.nodes) ? source.nodes : [];
  const rawEdges = Array.isArray(source.edges) ? source.edges : [];
  const nodes: StepNode[] = rawNodes.filter(isRecord).map((node, index) => {
    const position = isRecord(node.position) ? node.position : {};
    return {
      id: String(node.id ?? `step-${index}`),
      type: "step",
      position: {
        x: typeof position.x === "number" ? position.x : 0,
        y: typeof position.y === "number" ? position.y : index * 120,
      },
      data: { kind: String(node.type ?? ""), values: isRecord(node.data) ? { ...node.data } : {} },
    };
  });
  const edges: StepEdge[] = rawEdges.filter(isRecord).map((edge, index) => ({
    id: String(edge.id ?? `edge-${index}`),
    source: String(edge.source ?? ""),
    target: String(edge.target ?? ""),
  }));
  return { nodes, edges };
}

export function toDocument(nodes: StepNode[], edges: StepEdge[]): WorkflowDocument {
  return {
    nodes: nodes.map((node): DocumentNode => ({
      id: node.id,
      type: node.data.kind,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
      data: node.data.values,
    })),
    edges: edges.map((edge): DocumentEdge => ({ id: edge.id, source: edge.source, target: edge.target })),
  };
}
