/** Deliveries of an execution's rows to destinations, and the organization's destinations (read-only here). */
import { useQuery } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export type Delivery = components["schemas"]["Delivery"];
export type Destination = components["schemas"]["Destination"];

export const deliveryKeys = {
  all: ["deliveries"] as const,
  forExecution: (executionId: string) => ["deliveries", "execution", executionId] as const,
  destinations: ["deliveries", "destinations"] as const,
};

export function useExecutionDeliveries(executionId: string, live: boolean) {
  return useQuery({
    queryKey: deliveryKeys.forExecution(executionId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/executions/{execution_id}/deliveries", {
        params: { path: { execution_id: executionId }, query: { limit: 100 } },
      });
      if (error) throw error;
      return data;
    },
    // Deliveries retry after the execution has finished: keep them fresh while any is still pending.
    refetchInterval: (query) =>
      live || query.state.data?.items.some((item) => item.status !== "delivered" && item.status !== "failed")
        ? 5_000
        : false,
  });
}

export function useDestinations() {
  return useQuery({
    queryKey: deliveryKeys.destinations,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/exports/destinations", {
        params: { query: { limit: 200 } },
      });
      if (error) throw error;
      return data.items;
    },
  });
}
