/** A small layered layout (top to bottom): each step sits one layer below the longest path leading to it. */
import type { StepEdge, StepNode } from "../types";

export const NODE_WIDTH = 260;
const LAYER_GAP = 150;
const COLUMN_GAP = 300;

export function layeredPositions(
  nodes: StepNode[],
  edges: StepEdge[],
): Map<string, { x: number; y: number }> {
  const ids = new Set(nodes.map((node) => node.id));
  const incoming = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  for (const edge of edges) {
    if (ids.has(edge.source) && ids.has(edge.target)) incoming.get(edge.target)!.push(edge.source);
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a loop: the validator reports it, the layout just stops climbing
    visiting.add(id);
    const parents = incoming.get(id) ?? [];
    const value = parents.length ? Math.max(...parents.map(depth)) + 1 : 0;
    visiting.delete(id);
    layer.set(id, value);
    return value;
  };
  const rows = new Map<number, string[]>();
  for (const node of nodes) {
    const row = depth(node.id);
    rows.set(row, [...(rows.get(row) ?? []), node.id]);
  }
  const positions = new Map<string, { x: number; y: number }>();
  for (const [row, members] of rows) {
    const width = (members.length - 1) * COLUMN_GAP;
    members.forEach((id, column) => {
      positions.set(id, { x: column * COLUMN_GAP - width / 2, y: row * LAYER_GAP });
    });
  }
  return positions;
}
