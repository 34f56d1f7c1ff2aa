"use client";

/** Everything the server's validation found, as a checklist; choosing an item selects and shows its step. */
import { useReactFlow } from "@xyflow/react";
import { AlertCircle, CheckCircle2 } from "lucide-react";

import { useEditorStore } from "../store/editor-store";

export function Checklist({ checking }: { checking: boolean }) {
  const issues = useEditorStore((state) => state.issues);
  const catalogue = useEditorStore((state) => state.catalogue);
  const nodes = useEditorStore((state) => state.nodes);
  const flow = useReactFlow();

  const focus = (nodeId: string) => {
    useEditorStore.getState().select([nodeId]);
    void flow.fitView({ nodes: [{ id: nodeId }], duration: 300, maxZoom: 1.2 });
  };

  return (
    <section aria-labelledby="checklist-title" className="grid gap-3 p-4">
      <h2 id="checklist-title" className="text-base font-semibold">
        Checklist
      </h2>
      {issues.length === 0 ? (
        <p className="flex items-center gap-2 text-sm text-emerald-700">
          <CheckCircle2 aria-hidden className="size-4" />
          {checking ? "Checking…" : "Ready to save: the bot has no problems."}
        </p>
      ) : (
        <ul className="grid gap-1.5" aria-label="Problems to fix">
          {issues.map((issue, index) => {
            const node = nodes.find((item) => item.id === issue.node_id);
            const title = node ? (catalogue[node.data.kind]?.title ?? node.data.kind) : "Bot";
            const text = (
              <>
                <AlertCircle aria-hidden className="mt-0.5 size-4 shrink-0 text-destructive" />
                <span>
                  <span className="font-medium">{title}</span>
                  {issue.field ? <span className="text-muted-foreground"> · {issue.field}</span> : null}
                  <span className="block">{issue.message}</span>
                </span>
              </>
            );
            return (
              <li key={index}>
                {node ? (
                  <button
                    type="button"
                    onClick={() => focus(node.id)}
                    className="flex w-full gap-2 rounded-md border border-border p-2 text-left text-sm hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                  >
                    {text}
                  </button>
                ) : (
                  <div className="flex gap-2 rounded-md border border-border p-2 text-sm">{text}</div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p className="text-xs text-muted-foreground">Select a step on the canvas to edit its settings.</p>
    </section>
  );
}
