/** The bot language and runs from the editor: node catalogue, validation, test runs, run now and its live events. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, refreshAccessToken } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { useSession } from "@/lib/api/session";

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

export interface ServerEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Splits a Server-Sent Events buffer into complete events and the unfinished rest. */
export function parseEvents(buffer: string): { events: ServerEvent[]; rest: string } {
  const blocks = buffer.replace(/\r\n/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: ServerEvent[] = [];
  for (const block of blocks) {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("id:")) id = line.slice(3).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (!data.length) continue;
    try {
      events.push({ event, id, data: JSON.parse(data.join("\n")) as Record<string, unknown> });
    } catch {
      // A line that is not JSON carries nothing the editor shows.
    }
  }
  return { events, rest };
}

async function openStream(executionId: string, signal: AbortSignal, lastId?: string): Promise<Response> {
  const url = `/api/v1/executions/${encodeURIComponent(executionId)}/events`;
  // EventSource cannot send the bearer token, so the stream is read with fetch.
  const send = (token: string | null) => {
    const headers = new Headers({ Accept: "text/event-stream" });
    if (token) headers.set("Authorization", `Bearer ${token}`);
    const { orgId } = useSession.getState();
    if (orgId) headers.set("X-Org-Id", orgId);
    if (lastId) headers.set("Last-Event-ID", lastId);
    return fetch(url, { headers, signal, credentials: "same-origin" });
  };
  const response = await send(useSession.getState().accessToken);
  if (response.status !== 401) return response;
  return send(await refreshAccessToken());
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

export function applyEvent(progress: ExecutionProgress, { event, data }: ServerEvent): ExecutionProgress {
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
    let lastId: string | undefined;
    let finished = false;
    setProgress(INITIAL);
    const follow = async () => {
      for (let attempt = 0; attempt < 5 && !finished && !controller.signal.aborted; attempt += 1) {
        try {
          const response = await openStream(executionId, controller.signal, lastId);
          if (!response.ok || !response.body) throw new Error(`The live events answered ${response.status}.`);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseEvents(buffer + value);
            buffer = parsed.rest;
            for (const item of parsed.events) {
              if (item.id) lastId = item.id;
              if (item.event === "end") finished = true;
              setProgress((current) => applyEvent(current, item));
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          if (attempt === 4) setProgress((current) => ({ ...current, error: (error as Error).message }));
        }
        if (!finished) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    void follow();
    return () => controller.abort();
  }, [executionId]);
  return progress;
}
