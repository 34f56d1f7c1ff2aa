/** Which connections the bot language allows, mirroring backend/scrapeflow/workflow/compiler.py's edge rules, so
 * the canvas refuses an edge before the server would. */
import { STAGE_ORDER, type Stage, type StepEdge, type StepNode } from "../types";

export type StageOf = (kind: string) => Stage | undefined;

interface Candidate {
  source: string | null;
  target: string | null;
}

function reaches(edges: StepEdge[], from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length) {
    const current = queue.shift()!;
    if (current === to) return true;
    for (const edge of edges) {
      if (edge.source === current && !seen.has(edge.target)) {
        seen.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  return false;
}

/** Why this connection is refused, or null when it is allowed. */
export function connectionProblem(
  candidate: Candidate,
  nodes: StepNode[],
  edges: StepEdge[],
  stageOf: StageOf,
): string | null {
  const { source, target } = candidate;
  if (!source || !target) return "Connect two steps.";
  if (source === target) return "A step cannot connect to itself.";
  const from = nodes.find((node) => node.id === source);
  const to = nodes.find((node) => node.id === target);
  if (!from || !to) return "Connect two steps.";
  const before = stageOf(from.data.kind);
  const after = stageOf(to.data.kind);
  if (!before || !after) return "Unknown step type.";
  if (to.data.kind === "start") return "Nothing can lead into Start.";
  if (before === "sink") return "Nothing can follow an export step.";
  if (STAGE_ORDER.indexOf(after) < STAGE_ORDER.indexOf(before)) {
    return `A ${after} step cannot come after a ${before} step.`;
  }
  if (to.data.kind === "map" && from.data.kind !== "start")
    return "Discover pages must come right after Start.";
  if (edges.some((edge) => edge.source === source && edge.target === target))
    return "These steps are already connected.";
  if (after !== "sink") {
    const branches = edges.some(
      (edge) =>
        edge.source === source &&
        stageOf(nodes.find((n) => n.id === edge.target)?.data.kind ?? "") !== "sink",
    );
    if (branches) return "This step already leads to a step; keep one path (only exports may fan out).";
    if (edges.some((edge) => edge.target === target))
      return "Another step already leads into this one; keep one path.";
  }
  if (reaches(edges, target, source)) return "This connection would make a loop.";
  return null;
}
