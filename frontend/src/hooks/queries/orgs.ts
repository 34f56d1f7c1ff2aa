/** Organizations the signed-in person belongs to: list, create, rename, delete. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const orgKeys = {
  all: ["orgs"] as const,
  list: ["orgs", "list"] as const,
};

export type Organization = components["schemas"]["OrganizationWithRole"];
export type Role = components["schemas"]["Role"];

export const ROLES: readonly Role[] = ["viewer", "editor", "admin", "owner"];

/** Whether `role` is at least `needed` (viewer < editor < admin < owner), as the API ranks them. */
export function hasRole(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function useOrgs() {
  return useQuery({
    queryKey: orgKeys.list,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/orgs");
      if (error) throw error;
      return data;
    },
  });
}

export function useCreateOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      const { data, error } = await api.POST("/api/v1/orgs", { body: { name } });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.all }),
  });
}

export function useUpdateOrg(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      const { data, error } = await api.PUT("/api/v1/orgs/{org_id}", {
        params: { path: { org_id: orgId } },
        body: { name },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.all }),
  });
}

export function useDeleteOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (orgId: string) => {
      const { error } = await api.DELETE("/api/v1/orgs/{org_id}", { params: { path: { org_id: orgId } } });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.all }),
  });
}
