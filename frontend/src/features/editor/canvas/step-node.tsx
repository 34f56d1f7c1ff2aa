/** The one canvas node every step type uses: title, per-type body, problems and test output. Memoised, and it
 * subscribes only to its own slice of the store so a 300-node bot stays smooth. */
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { AlertCircle } from "lucide-react";
import { memo } from "react";

import { cn } from "@/lib/utils";

import { NODE_REGISTRY, summarize } from "../nodes/registry";
import { useEditorStore } from "../store/editor-store";
import type { Stage, StepNode as StepNodeType } from "../types";
import { HANDLE_SIZE, NODE_WIDTH } from "./geometry";
import { NodeOutput } from "./node-output";

export const STAGE_COLORS: Record<Stage, string> = {
  source: "bg-emerald-500",
  page: "bg-sky-500",
  post: "bg-violet-500",
  sink: "bg-amber-500",
};

const NO_ISSUES: string[] = [];
const HANDLE_STYLE = { width: HANDLE_SIZE, height: HANDLE_SIZE };

function StepNodeView({ id, data, selected }: NodeProps<StepNodeType>) {
  const info = useEditorStore((state) => state.catalogue[data.kind]);
  const issues = useEditorStore((state) => state.issuesByNode[id] ?? NO_ISSUES);
  const run = useEditorStore((state) => state.runs[id]);
  const stage = info?.category;
  const Body = NODE_REGISTRY[data.kind]?.Body;
  const label = typeof data.values.label === "string" && data.values.label ? data.values.label : null;
  return (
    <div
      data-testid="step-node"
      style={{ width: NODE_WIDTH }}
      className={cn(
        "rounded-lg border bg-background text-xs shadow-sm",
        selected ? "border-primary ring-2 ring-primary/40" : "border-border",
        issues.length ? "ring-2 ring-destructive" : null,
      )}
    >
      {stage !== "source" ? <Handle type="target" position={Position.Top} style={HANDLE_STYLE} /> : null}
      <div className="flex items-center gap-2 border-b border-border px-3 py-2">
        <span
          aria-hidden
          className={cn("size-2.5 shrink-0 rounded-full", stage ? STAGE_COLORS[stage] : "bg-muted")}
        />
        <span className="truncate font-semibold">{label ?? info?.title ?? data.kind}</span>
        {label && info ? <span className="ml-auto shrink-0 text-muted-foreground">{info.title}</span> : null}
      </div>
      <div className="px-3 py-2">
        {Body ? (
          <Body values={data.values} />
        ) : (
          <p className="truncate text-muted-foreground">{summarize(data.values) || info?.description}</p>
        )}
        {issues.length ? (
          <ul className="mt-2 grid gap-1 text-destructive" aria-label="Problems">
            {issues.slice(0, 3).map((message, index) => (
              <li key={index} className="flex gap-1">
                <AlertCircle aria-hidden className="mt-px size-3 shrink-0" />
                <span>{message}</span>
              </li>
            ))}
          </ul>
        ) : null}
        {run ? <NodeOutput run={run} /> : null}
      </div>
      {stage !== "sink" ? <Handle type="source" position={Position.Bottom} style={HANDLE_STYLE} /> : null}
    </div>
  );
}

export const StepNodeComponent = memo(StepNodeView);

/** At module scope so React Flow never sees a new object and re-mounts the nodes. */
export const nodeTypes = { step: StepNodeComponent };
