/** The editor's state: the canvas's nodes and edges with undo/redo history, clipboard, the node catalogue, and
 * what validation and test runs said about each node. Components read it through narrow selectors. */
import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import { create } from "zustand";

import { predictedGeometry, withoutPrediction } from "../canvas/geometry";
import type { NodeRun, NodeTypeInfo, NodeValues, StepEdge, StepNode, ValidationIssue } from "../types";
import { fromDocument, toDocument } from "./document";
import { layeredPositions } from "./layout";
import { connectionProblem } from "./rules";

interface Snapshot {
  nodes: StepNode[];
  edges: StepEdge[];
}

const HISTORY_LIMIT = 100;
const COALESCE_MS = 800;

export interface EditorState extends Snapshot {
  catalogue: Record<string, NodeTypeInfo>;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Snapshot | null;
  /** Bumped on every change to the document; compared with `savedRevision` for the unsaved-changes guard. */
  revision: number;
  savedRevision: number;
  issues: ValidationIssue[];
  /** The same issues' messages by node id, so each canvas node reads only its own. */
  issuesByNode: Record<string, string[]>;
  runs: Record<string, NodeRun>;
  lastEdit: { key: string; at: number } | null;
  dragging: boolean;
  setCatalogue: (types: NodeTypeInfo[]) => void;
  load: (document: unknown) => void;
  markSaved: () => void;
  onNodesChange: (changes: NodeChange<StepNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<StepEdge>[]) => void;
  connect: (connection: Connection) => string | null;
  /** Adds a step; with `after`, also connects it from that step when the bot language allows (one update). */
  addNode: (kind: string, position?: { x: number; y: number }, values?: NodeValues, after?: string) => string;
  updateValues: (id: string, values: NodeValues) => void;
  removeSelected: () => void;
  select: (ids: string[]) => void;
  undo: () => void;
  redo: () => void;
  copy: () => void;
  paste: () => void;
  autoLayout: () => void;
  setIssues: (issues: ValidationIssue[]) => void;
  setRuns: (runs: NodeRun[]) => void;
}

let counter = 0;
/** Ids stay unique within a document; the time part avoids clashing with ids saved in an earlier session. */
export function newId(kind: string): string {
  counter += 1;
  return `${kind}-${Date.now().toString(36)}${counter.toString(36)}`;
}

const stripSelection = <T extends { selected?: boolean }>(items: T[]): T[] =>
  items.map((item) => (item.selected ? { ...item, selected: false } : item));

export const useEditorStore = create<EditorState>()((set, get) => {
  /** Remember the current document before a change; edits with the same key in quick succession are one step. */
  const remember = (key?: string) => {
    const { nodes, edges, past, lastEdit } = get();
    const now = Date.now();
    const coalesce = key !== undefined && lastEdit?.key === key && now - lastEdit.at < COALESCE_MS;
    set({
      past: coalesce ? past : [...past.slice(-HISTORY_LIMIT + 1), { nodes, edges }],
      future: [],
      lastEdit: key ? { key, at: now } : null,
      revision: get().revision + 1,
    });
  };
  const stageOf = (kind: string) => get().catalogue[kind]?.category;

  return {
    nodes: [],
    edges: [],
    catalogue: {},
    past: [],
    future: [],
    clipboard: null,
    revision: 0,
    savedRevision: 0,
    issues: [],
    issuesByNode: {},
    runs: {},
    lastEdit: null,
    dragging: false,

    setCatalogue: (types) => set({ catalogue: Object.fromEntries(types.map((type) => [type.type, type])) }),
    load: (document) =>
      set({
        ...fromDocument(document),
        past: [],
        future: [],
        revision: 0,
        savedRevision: 0,
        issues: [],
        issuesByNode: {},
        runs: {},
      }),
    markSaved: () => set({ savedRevision: get().revision }),

    onNodesChange: (changes) => {
      const structural = changes.some((change) => change.type === "remove" || change.type === "add");
      const dragStart =
        changes.some((change) => change.type === "position" && change.dragging) && !get().dragging;
      const dragEnd = changes.some((change) => change.type === "position" && change.dragging === false);
      if (structural || dragStart) remember();
      const measured = new Set(
        changes.flatMap((change) => (change.type === "dimensions" ? [change.id] : [])),
      );
      const nodes = applyNodeChanges(changes, get().nodes);
      set({
        nodes: measured.size
          ? nodes.map((node) => (node.handles && measured.has(node.id) ? withoutPrediction(node) : node))
          : nodes,
        dragging: dragEnd ? false : dragStart || get().dragging,
      });
      if (structural) {
        const ids = new Set(get().nodes.map((node) => node.id));
        set({ edges: get().edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target)) });
      }
    },
    onEdgesChange: (changes) => {
      if (changes.some((change) => change.type === "remove")) remember();
      set({ edges: applyEdgeChanges(changes, get().edges) });
    },
    connect: (connection) => {
      const { nodes, edges } = get();
      const problem = connectionProblem(connection, nodes, edges, stageOf);
      if (problem) return problem;
      remember();
      set({ edges: addEdge({ ...connection, id: newId("edge") }, edges) });
      return null;
    },
    addNode: (kind, position, values, after) => {
      remember();
      const id = newId(kind);
      const { nodes, catalogue } = get();
      const lowest = nodes.reduce((max, node) => Math.max(max, node.position.y), -150);
      const node: StepNode = {
        id,
        type: "step",
        position: position ?? { x: nodes.at(-1)?.position.x ?? 0, y: lowest + 150 },
        data: { kind, values: values ?? structuredClone(catalogue[kind]?.example ?? {}) },
        selected: true,
        ...predictedGeometry(stageOf(kind)),
      };
      const nextNodes = [...stripSelection(nodes), node];
      const edges = stripSelection(get().edges);
      const link = after ? { source: after, target: id, sourceHandle: null, targetHandle: null } : null;
      const linked = link && !connectionProblem(link, nextNodes, edges, stageOf);
      set({ nodes: nextNodes, edges: linked ? addEdge({ ...link, id: newId("edge") }, edges) : edges });
      return id;
    },
    updateValues: (id, values) => {
      remember(`values:${id}`);
      set({
        nodes: get().nodes.map((node) =>
          node.id === id ? { ...node, data: { ...node.data, values } } : node,
        ),
      });
    },
    removeSelected: () => {
      const { nodes, edges } = get();
      const gone = new Set(nodes.filter((node) => node.selected).map((node) => node.id));
      const keptEdges = edges.filter(
        (edge) => !edge.selected && !gone.has(edge.source) && !gone.has(edge.target),
      );
      if (!gone.size && keptEdges.length === edges.length) return;
      remember();
      set({ nodes: nodes.filter((node) => !gone.has(node.id)), edges: keptEdges });
    },
    select: (ids) => {
      const chosen = new Set(ids);
      set({
        nodes: get().nodes.map((node) =>
          Boolean(node.selected) === chosen.has(node.id) ? node : { ...node, selected: chosen.has(node.id) },
        ),
      });
    },
    undo: () => {
      const { past, future, nodes, edges, revision } = get();
      const previous = past.at(-1);
      if (!previous) return;
      set({
        ...previous,
        past: past.slice(0, -1),
        future: [{ nodes, edges }, ...future],
        revision: revision + 1,
        lastEdit: null,
      });
    },
    redo: () => {
      const { past, future, nodes, edges, revision } = get();
      const next = future[0];
      if (!next) return;
      set({
        ...next,
        past: [...past, { nodes, edges }],
        future: future.slice(1),
        revision: revision + 1,
        lastEdit: null,
      });
    },
    copy: () => {
      const { nodes, edges } = get();
      const picked = nodes.filter((node) => node.selected);
      const ids = new Set(picked.map((node) => node.id));
      if (!picked.length) return;
      set({
        clipboard: { nodes: picked, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) },
      });
    },
    paste: () => {
      const { clipboard, nodes, edges } = get();
      if (!clipboard) return;
      remember();
      const renamed = new Map(clipboard.nodes.map((node) => [node.id, newId(node.data.kind)]));
      const pasted = clipboard.nodes.map((node) => ({
        ...node,
        id: renamed.get(node.id)!,
        position: { x: node.position.x + 40, y: node.position.y + 40 },
        data: { kind: node.data.kind, values: structuredClone(node.data.values) },
        selected: true,
      }));
      const pastedEdges = clipboard.edges.map((edge) => ({
        id: newId("edge"),
        source: renamed.get(edge.source)!,
        target: renamed.get(edge.target)!,
      }));
      set({
        nodes: [...stripSelection(nodes), ...pasted],
        edges: [...stripSelection(edges), ...pastedEdges],
        // A second paste lands further along instead of on top of the first.
        clipboard: { nodes: pasted.map((node) => ({ ...node, selected: false })), edges: pastedEdges },
      });
    },
    autoLayout: () => {
      const { nodes, edges } = get();
      remember();
      const positions = layeredPositions(nodes, edges);
      set({ nodes: nodes.map((node) => ({ ...node, position: positions.get(node.id) ?? node.position })) });
    },
    setIssues: (issues) => {
      const issuesByNode: Record<string, string[]> = {};
      for (const issue of issues) {
        if (issue.node_id) (issuesByNode[issue.node_id] ??= []).push(issue.message);
      }
      set({ issues, issuesByNode });
    },
    setRuns: (runs) => set({ runs: Object.fromEntries(runs.map((run) => [run.node_id, run])) }),
  };
});

/** The current canvas as the backend's workflow document. */
export function currentDocument() {
  const { nodes, edges } = useEditorStore.getState();
  return toDocument(nodes, edges);
}
