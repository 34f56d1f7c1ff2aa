"use client";

/** The selected step's settings, as a form generated from its JSON Schema, with its problems and test output. */
import { Trash2 } from "lucide-react";
import { memo, useMemo } from "react";
import { useShallow } from "zustand/react/shallow";

import { Button } from "@/components/ui/button";

import { NodeOutput } from "../canvas/node-output";
import { NODE_REGISTRY } from "../nodes/registry";
import { SchemaForm } from "../schema-form/schema-form";
import type { JsonSchema } from "../schema-form/schema";
import { useEditorStore } from "../store/editor-store";
import type { ValidationIssue } from "../types";

const NO_ISSUES: ValidationIssue[] = [];

/** Server issues on nested fields ("fields.0.selector") are shown on their top-level property. */
function errorsByField(issues: ValidationIssue[]) {
  const byField: Record<string, string> = {};
  const general: string[] = [];
  for (const issue of issues) {
    if (!issue.field || issue.field === "type" || issue.field === "id") {
      general.push(issue.message);
      continue;
    }
    const [top, index, ...rest] = issue.field.split(".");
    const where =
      index !== undefined && /^\d+$/.test(index)
        ? `Item ${Number(index) + 1}${rest.length ? ` ${rest.join(".")}` : ""}: `
        : "";
    byField[top] ??= `${where}${issue.message}`;
  }
  return { byField, general };
}

export const PropertyPanel = memo(function PropertyPanel({
  nodeId,
  pageUrl,
}: {
  nodeId: string;
  pageUrl: string;
}) {
  const data = useEditorStore((state) => state.nodes.find((node) => node.id === nodeId)?.data);
  const info = useEditorStore((state) => (data ? state.catalogue[data.kind] : undefined));
  const run = useEditorStore((state) => state.runs[nodeId]);
  const issues = useEditorStore(
    useShallow((state) => {
      const mine = state.issues.filter((issue) => issue.node_id === nodeId);
      return mine.length ? mine : NO_ISSUES;
    }),
  );
  const { byField, general } = useMemo(() => errorsByField(issues), [issues]);
  if (!data) return null;
  const clientProblem = NODE_REGISTRY[data.kind]?.check?.(data.values) ?? null;
  const problems = [...new Set([clientProblem, ...general].filter((item): item is string => Boolean(item)))];

  return (
    <section aria-labelledby="panel-title" className="grid gap-4 p-4">
      <header className="flex items-start justify-between gap-2">
        <div>
          <h2 id="panel-title" className="text-base font-semibold">
            {info?.title ?? data.kind}
          </h2>
          <p className="text-sm text-muted-foreground">{info?.description}</p>
          {info?.needs_browser ? (
            <p className="mt-1 text-xs text-muted-foreground">Runs in a browser.</p>
          ) : null}
        </div>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Delete this step"
          onClick={() => {
            useEditorStore.getState().select([nodeId]);
            useEditorStore.getState().removeSelected();
          }}
        >
          <Trash2 aria-hidden />
        </Button>
      </header>
      {problems.length ? (
        <ul
          role="alert"
          className="grid gap-1 rounded-md border border-red-200 bg-red-50 p-2 text-xs text-red-900"
        >
          {problems.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
      {info ? (
        <SchemaForm
          key={nodeId}
          schema={info.data_schema as JsonSchema}
          values={data.values}
          serverErrors={byField}
          pageUrl={pageUrl}
          onChange={(values) => useEditorStore.getState().updateValues(nodeId, values)}
        />
      ) : (
        <p className="text-sm text-destructive">This step type is not known to the server; remove it.</p>
      )}
      {run ? (
        <div>
          <h3 className="text-sm font-medium">Last test run</h3>
          <NodeOutput run={run} />
        </div>
      ) : null}
    </section>
  );
});
