/** An organization's API keys: list, create (the secret comes back once), revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const apiKeyKeys = {
  list: (orgId: string) => ["api-keys", orgId] as const,
};

export type ApiKey = components["schemas"]["ApiKey"];
export type ApiKeyCreate = components["schemas"]["ApiKeyCreate"];
export type ApiKeyCreated = components["schemas"]["ApiKeyCreated"];
export type ApiKeyScope = components["schemas"]["ApiKeyScope"];

export function useApiKeys(orgId: string) {
  return useQuery({
    queryKey: apiKeyKeys.list(orgId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/orgs/{org_id}/api-keys", {
        params: { path: { org_id: orgId }, query: { limit: 100 } },
      });
      if (error) throw error;
      return data.items;
    },
  });
}

export function useCreateApiKey(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: ApiKeyCreate) => {
      const { data, error } = await api.POST("/api/v1/orgs/{org_id}/api-keys", {
        params: { path: { org_id: orgId } },
        body,
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: apiKeyKeys.list(orgId) }),
  });
}

export function useRevokeApiKey(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (keyId: string) => {
      const { error } = await api.DELETE("/api/v1/orgs/{org_id}/api-keys/{key_id}", {
        params: { path: { org_id: orgId, key_id: keyId } },
      });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: apiKeyKeys.list(orgId) }),
  });
}
