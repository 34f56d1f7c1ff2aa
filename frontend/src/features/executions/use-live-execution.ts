"use client";

/** Follows a running execution's event stream and writes what arrives (counters, stage, log lines) into the
 * cached execution, so every screen showing it updates at once; refreshes rows and deliveries at the end. */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { deliveryKeys } from "@/hooks/queries/deliveries";
import { executionKeys, type ExecutionDetail } from "@/hooks/queries/executions";
import { rowKeys } from "@/hooks/queries/rows";

import type { ServerEvent } from "./event-stream";
import { followExecutionEvents } from "./execution-events";

type Counters = {
  urls_found: number;
  pages_done: number;
  pages_failed: number;
  rows: number;
  llm_tokens: number;
  status: ExecutionDetail["status"];
  stage: ExecutionDetail["stage"];
};

export function applyEvent(detail: ExecutionDetail, event: ServerEvent): ExecutionDetail {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return detail;
  }
  if (event.event === "counters") {
    const counters = payload as Counters;
    return {
      ...detail,
      urls_found: counters.urls_found,
      pages_done: counters.pages_done,
      pages_failed: counters.pages_failed,
      rows_count: counters.rows,
      llm_tokens: counters.llm_tokens,
      status: counters.status,
      stage: counters.stage,
    };
  }
  if (event.id === null || event.event === "end") return detail;
  const seq = Number(event.id);
  if (detail.logs.some((line) => line.seq === seq)) return detail;
  const { message, level, at, ...data } = payload;
  const line = {
    seq,
    event: event.event,
    message: String(message ?? ""),
    level: String(level ?? "info"),
    created_at: String(at ?? new Date().toISOString()),
    data,
  };
  const status = event.event === "status" && typeof data.status === "string" ? data.status : detail.status;
  return { ...detail, status: status as ExecutionDetail["status"], logs: [...detail.logs, line].slice(-500) };
}

function refreshAfterEnd(client: QueryClient, executionId: string) {
  return Promise.all([
    client.invalidateQueries({ queryKey: executionKeys.all }),
    client.invalidateQueries({ queryKey: rowKeys.all }),
    client.invalidateQueries({ queryKey: deliveryKeys.forExecution(executionId) }),
  ]);
}

/** True while the stream is connected. */
export function useLiveExecution(executionId: string, active: boolean): boolean {
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    const key = executionKeys.detail(executionId);
    void followExecutionEvents(executionId, {
      onEvent: (event) =>
        client.setQueryData<ExecutionDetail>(key, (detail) => (detail ? applyEvent(detail, event) : detail)),
      onConnectionChange: setConnected,
      signal: controller.signal,
    })
      .then(() => refreshAfterEnd(client, executionId))
      // The execution query keeps polling while it runs, so a stream that gives up loses nothing.
      .catch(() => undefined);
    return () => controller.abort();
  }, [executionId, active, client]);

  return connected && active;
}
