/** Bots: list, one bot, create, save (a save creates a version), delete, versions and restore. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const botKeys = {
  all: ["bots"] as const,
  list: (search: string) => ["bots", "list", search] as const,
  detail: (botId: string) => ["bots", "detail", botId] as const,
  versions: (botId: string) => ["bots", "versions", botId] as const,
};

export type Bot = components["schemas"]["Bot"];
/** A bot in the list, with its last execution and next scheduled run. */
export type BotListItem = components["schemas"]["BotListItem"];
export type BotSummary = BotListItem;
export type BotCreate = components["schemas"]["BotCreate"];
export type BotUpdate = components["schemas"]["BotUpdate"];
export type BotVersion = components["schemas"]["BotVersion"];

export function useBots(search = "") {
  return useInfiniteQuery({
    queryKey: botKeys.list(search),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const { data, error } = await api.GET("/api/v1/bots", {
        params: { query: { q: search || undefined, cursor: pageParam, limit: 50 } },
      });
      if (error) throw error;
      return data;
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useBot(botId: string | undefined) {
  return useQuery({
    queryKey: botKeys.detail(botId ?? ""),
    enabled: Boolean(botId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/bots/{bot_id}", {
        params: { path: { bot_id: botId! } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useCreateBot() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: BotCreate) => {
      const { data, error } = await api.POST("/api/v1/bots", { body });
      if (error) throw error;
      return data;
    },
    onSuccess: (bot) => {
      client.setQueryData(botKeys.detail(bot.id), bot);
      return client.invalidateQueries({ queryKey: botKeys.all });
    },
  });
}

export function useUpdateBot(botId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: BotUpdate) => {
      const { data, error } = await api.PUT("/api/v1/bots/{bot_id}", {
        params: { path: { bot_id: botId } },
        body,
      });
      if (error) throw error;
      return data;
    },
    onSuccess: (bot) => {
      client.setQueryData(botKeys.detail(bot.id), bot);
      return client.invalidateQueries({ queryKey: botKeys.all });
    },
  });
}

export function useDeleteBot() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (botId: string) => {
      const { error } = await api.DELETE("/api/v1/bots/{bot_id}", { params: { path: { bot_id: botId } } });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: botKeys.all }),
  });
}

export function useBotVersions(botId: string) {
  return useQuery({
    queryKey: botKeys.versions(botId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/bots/{bot_id}/versions", {
        params: { path: { bot_id: botId }, query: { limit: 100 } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useRestoreVersion(botId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (version: number) => {
      const { data, error } = await api.POST("/api/v1/bots/{bot_id}/versions/{version}/restore", {
        params: { path: { bot_id: botId, version } },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: (bot) => {
      client.setQueryData(botKeys.detail(bot.id), bot);
      return client.invalidateQueries({ queryKey: botKeys.versions(botId) });
    },
  });
}
