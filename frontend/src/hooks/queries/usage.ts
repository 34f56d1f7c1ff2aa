/** This month's usage of the current organization against its plan's limits. */
import { useQuery } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const usageKeys = {
  current: (orgId: string | null) => ["usage", orgId] as const,
};

export type Usage = components["schemas"]["Usage"];
export type PlanLimits = components["schemas"]["PlanLimits"];
/** One metered counter, as the API reports it under `usage`. */
export interface Metered {
  used: number;
  limit: number | null;
}

export function useUsage(orgId: string | null) {
  return useQuery({
    queryKey: usageKeys.current(orgId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/users/usage");
      if (error) throw error;
      return data;
    },
  });
}
