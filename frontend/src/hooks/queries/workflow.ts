/** The bot language and runs from the editor: node catalogue, validation, test runs, run now and its live events. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import type { ServerEvent } from "@/features/executions/event-stream";
import { followExecutionEvents } from "@/features/executions/execution-events";
import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const workflowKeys = {
  nodeTypes: ["workflow", "node-types"] as const,
};

export type NodeTypeInfo = components["schemas"]["NodeTypeInfo"];
export type WorkflowValidation = components["schemas"]["WorkflowValidation"];
export type TestRun = components["schemas"]["TestRun"];
export type Execution = components["schemas"]["Execution"];

export function useNodeTypes() {
  return useQuery({
    queryKey: workflowKeys.nodeTypes,
    // The catalogue changes only with a new server release.
    staleTime: Infinity,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/workflow/node-types");
      if (error) throw error;
      return data;
    },
  });
}

export function useValidateWorkflow() {
  return useMutation({
    mutationFn: async (workflow: Record<string, unknown>) => {
      const { data, error } = await api.POST("/api/v1/bots/validate", { body: { workflow_json: workflow } });
      if (error) throw error;
      return data;
    },
  });
}

export interface TestRunInput {
  /** The saved bot to test; without it (or with `workflow`) the unsaved document is tested. */
  botId?: string;
  workflow?: Record<string, unknown>;
  url?: string;
}

export function useTestRun() {
  return useMutation({
    mutationFn: async ({ botId, workflow, url }: TestRunInput) => {
      const { data, error } =
        workflow || !botId
          ? await api.POST("/api/v1/bots/test", { body: { workflow_json: workflow ?? {}, url: url ?? null } })
          : await api.POST("/api/v1/bots/{bot_id}/test", {
              params: { path: { bot_id: botId } },
              body: { url: url ?? null },
            });
      if (error) throw error;
      return data;
    },
  });
}

export function useExecuteBot(botId: string | undefined) {
  return useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST("/api/v1/bots/{bot_id}/execute", {
        params: { path: { bot_id: botId! } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export interface ExecutionProgress {
  status: string;
  stage: string | null;
  urlsFound: number;
  pagesDone: number;
  pagesFailed: number;
  rows: number;
  lastMessage: string | null;
  finished: boolean;
  error: string | null;
}

const INITIAL: ExecutionProgress = {
  status: "queued",
  stage: null,
  urlsFound: 0,
  pagesDone: 0,
  pagesFailed: 0,
  rows: 0,
  lastMessage: null,
  finished: false,
  error: null,
};

/** An event of the execution's stream (`data` is its JSON) applied to the progress shown. */
export function applyEvent(
  progress: ExecutionProgress,
  { event, data: raw }: ServerEvent,
): ExecutionProgress {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return progress; // nothing the editor shows
  }
  const number = (key: string, fallback: number) =>
    typeof data[key] === "number" ? (data[key] as number) : fallback;
  if (event === "counters") {
    return {
      ...progress,
      status: typeof data.status === "string" ? data.status : progress.status,
      stage: typeof data.stage === "string" ? data.stage : progress.stage,
      urlsFound: number("urls_found", progress.urlsFound),
      pagesDone: number("pages_done", progress.pagesDone),
      pagesFailed: number("pages_failed", progress.pagesFailed),
      rows: number("rows", progress.rows),
    };
  }
  if (event === "end") {
    return {
      ...progress,
      finished: true,
      status: typeof data.status === "string" ? data.status : progress.status,
    };
  }
  return { ...progress, lastMessage: typeof data.message === "string" ? data.message : progress.lastMessage };
}

/** Follows an execution's live events until it ends, reconnecting after a dropped connection. */
export function useExecutionProgress(executionId: string | null) {
  const [progress, setProgress] = useState<ExecutionProgress>(INITIAL);
  useEffect(() => {
    if (!executionId) return;
    const controller = new AbortController();
    // One execution per mounted progress bar (its parent keys it by execution), so nothing needs resetting.
    followExecutionEvents(executionId, {
      onEvent: (event) => setProgress((current) => applyEvent(current, event)),
      signal: controller.signal,
    }).catch((error: unknown) =>
      setProgress((current) => ({
        ...current,
        error: error instanceof Error ? error.message : String(error),
      })),
    );
    return () => controller.abort();
  }, [executionId]);
  return progress;
}
