/** Cron schedules: list, create, change, pause/resume, delete, and the backend's preview of a draft. */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

import { botKeys } from "./bots";

export type Schedule = components["schemas"]["Schedule"];
export type ScheduleCreate = components["schemas"]["ScheduleCreate"];
export type ScheduleUpdate = components["schemas"]["ScheduleUpdate"];
export type SchedulePreview = components["schemas"]["SchedulePreview"];

export const scheduleKeys = {
  all: ["schedules"] as const,
  list: (botId: string | undefined) => ["schedules", "list", botId ?? ""] as const,
  preview: (expression: string, timezone: string) => ["schedules", "preview", expression, timezone] as const,
};

export function useSchedules(botId?: string) {
  return useInfiniteQuery({
    queryKey: scheduleKeys.list(botId),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const { data, error } = await api.GET("/api/v1/schedules", {
        params: { query: { bot_id: botId, cursor: pageParam, limit: 50 } },
      });
      if (error) throw error;
      return data;
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** What a draft expression does, from the backend (which validates it as a save would). */
export function useSchedulePreview(expression: string, timezone: string) {
  return useQuery({
    queryKey: scheduleKeys.preview(expression, timezone),
    enabled: expression.trim().length > 0,
    retry: false,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
    queryFn: async ({ signal }) => {
      const { data, error } = await api.POST("/api/v1/schedules/preview", {
        body: { cron_expression: expression, timezone },
        signal,
      });
      if (error) throw error;
      return data;
    },
  });
}

function useScheduleMutation<Input>(run: (input: Input) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: scheduleKeys.all }),
        // The bot list shows each bot's next run.
        client.invalidateQueries({ queryKey: botKeys.all }),
      ]),
  });
}

export function useCreateSchedule() {
  return useScheduleMutation(async (body: ScheduleCreate) => {
    const { data, error } = await api.POST("/api/v1/schedules", { body });
    if (error) throw error;
    return data;
  });
}

export function useUpdateSchedule() {
  return useScheduleMutation(async ({ id, body }: { id: string; body: ScheduleUpdate }) => {
    const { data, error } = await api.PUT("/api/v1/schedules/{schedule_id}", {
      params: { path: { schedule_id: id } },
      body,
    });
    if (error) throw error;
    return data;
  });
}

export function useToggleSchedule() {
  return useScheduleMutation(async (id: string) => {
    const { data, error } = await api.POST("/api/v1/schedules/{schedule_id}/toggle", {
      params: { path: { schedule_id: id } },
    });
    if (error) throw error;
    return data;
  });
}

export function useDeleteSchedule() {
  return useScheduleMutation(async (id: string) => {
    const { error } = await api.DELETE("/api/v1/schedules/{schedule_id}", {
      params: { path: { schedule_id: id } },
    });
    if (error) throw error;
  });
}
