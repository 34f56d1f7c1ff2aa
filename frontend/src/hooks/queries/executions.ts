/** Executions: list with filters, one execution (polled while it runs), run a bot now, cancel, retry, review. */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import { botKeys } from "./bots";
import type { components } from "@/lib/api/schema";

export type Execution = components["schemas"]["Execution"];
export type ExecutionDetail = components["schemas"]["ExecutionDetail"];
export type ExecutionStatus = components["schemas"]["ExecutionStatus"];
export type ReviewState = components["schemas"]["ReviewState"];

export interface ExecutionFilters {
  botId?: string;
  status?: ExecutionStatus;
}

export const executionKeys = {
  all: ["executions"] as const,
  list: (filters: ExecutionFilters) => ["executions", "list", filters] as const,
  detail: (executionId: string) => ["executions", "detail", executionId] as const,
  review: (executionId: string) => ["executions", "review", executionId] as const,
};

/** Statuses after which nothing about the execution changes (but its deliveries). */
export const FINISHED_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  "succeeded",
  "partially_succeeded",
  "failed",
  "cancelled",
]);

export function isActive(status: ExecutionStatus): boolean {
  return status === "queued" || status === "running";
}

const LIVE_POLL_MS = 3_000;

export function useExecutions(filters: ExecutionFilters, pageSize = 25) {
  return useInfiniteQuery({
    queryKey: executionKeys.list(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const { data, error } = await api.GET("/api/v1/executions", {
        params: {
          query: { bot_id: filters.botId, status: filters.status, cursor: pageParam, limit: pageSize },
        },
      });
      if (error) throw error;
      return data;
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
    // Running executions change on their own: poll while any listed one is queued or running.
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.items.some((item) => isActive(item.status)))
        ? LIVE_POLL_MS
        : false,
  });
}

/** The live event stream keeps a running execution current; this slow poll is the safety net behind it. */
const DETAIL_POLL_MS = 10_000;

export function useExecution(executionId: string) {
  return useQuery({
    queryKey: executionKeys.detail(executionId),
    refetchInterval: (query) =>
      query.state.data && !FINISHED_STATUSES.has(query.state.data.status) ? DETAIL_POLL_MS : false,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/executions/{execution_id}", {
        params: { path: { execution_id: executionId } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useExecuteBot() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (botId: string) => {
      const { data, error } = await api.POST("/api/v1/bots/{bot_id}/execute", {
        params: { path: { bot_id: botId } },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: executionKeys.all }),
        client.invalidateQueries({ queryKey: botKeys.all }),
      ]),
  });
}

export function useCancelExecution(executionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST("/api/v1/executions/{execution_id}/cancel", {
        params: { path: { execution_id: executionId } },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

/** Retrying runs only the failed pages, as a new execution. */
export function useRetryExecution(executionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST("/api/v1/executions/{execution_id}/retry", {
        params: { path: { execution_id: executionId } },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}

export function useReviewState(executionId: string, enabled: boolean) {
  return useQuery({
    queryKey: executionKeys.review(executionId),
    enabled,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/executions/{execution_id}/review", {
        params: { path: { execution_id: executionId } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useReviewExecution(executionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (decision: "approve" | "reject") => {
      const { data, error } = await api.POST("/api/v1/executions/{execution_id}/review", {
        params: { path: { execution_id: executionId } },
        body: { decision },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: executionKeys.all }),
  });
}
