/** Export destinations (webhook, Slack, email, Google Sheets): list, create, edit, test, delete, deliveries. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const destinationKeys = {
  all: ["destinations"] as const,
  list: (orgId: string | null) => ["destinations", "list", orgId] as const,
  deliveries: (destinationId: string) => ["destinations", "deliveries", destinationId] as const,
};

export type Destination = components["schemas"]["Destination"];
export type DestinationType = components["schemas"]["DestinationType"];
export type DestinationUpdate = components["schemas"]["DestinationUpdate"];
export type Delivery = components["schemas"]["Delivery"];
export type TestResult = components["schemas"]["TestResult"];
export type DestinationEvent = components["schemas"]["WebhookCreate"]["events"] extends
  (infer E)[] | undefined
  ? E
  : never;

/** The create body for each type, as its POST /api/v1/exports/{type} endpoint takes it. */
export type DestinationCreate =
  | { type: "webhook"; body: components["schemas"]["WebhookCreate"] }
  | { type: "slack"; body: components["schemas"]["SlackCreate"] }
  | { type: "email"; body: components["schemas"]["EmailCreate"] }
  | { type: "google_sheets"; body: components["schemas"]["GoogleSheetsCreate"] };

export function useDestinations(orgId: string | null) {
  return useQuery({
    queryKey: destinationKeys.list(orgId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/exports/destinations", {
        params: { query: { limit: 100 } },
      });
      if (error) throw error;
      return data.items;
    },
  });
}

/** Creates a destination; a webhook's answer carries its signing secret, shown once. */
export function useCreateDestination() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (create: DestinationCreate): Promise<{ destination: Destination; secret?: string }> => {
      switch (create.type) {
        case "webhook": {
          const { data, error } = await api.POST("/api/v1/exports/webhook", { body: create.body });
          if (error) throw error;
          return { destination: data, secret: data.signing_secret };
        }
        case "slack": {
          const { data, error } = await api.POST("/api/v1/exports/slack", { body: create.body });
          if (error) throw error;
          return { destination: data };
        }
        case "email": {
          const { data, error } = await api.POST("/api/v1/exports/email", { body: create.body });
          if (error) throw error;
          return { destination: data };
        }
        case "google_sheets": {
          const { data, error } = await api.POST("/api/v1/exports/google-sheets", { body: create.body });
          if (error) throw error;
          return { destination: data };
        }
      }
    },
    onSuccess: () => client.invalidateQueries({ queryKey: destinationKeys.all }),
  });
}

export function useUpdateDestination() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: DestinationUpdate }) => {
      const { data, error } = await api.PUT("/api/v1/exports/destinations/{destination_id}", {
        params: { path: { destination_id: id } },
        body,
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: destinationKeys.all }),
  });
}

export function useDeleteDestination() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const { error } = await api.DELETE("/api/v1/exports/destinations/{destination_id}", {
        params: { path: { destination_id: id } },
      });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: destinationKeys.all }),
  });
}

export function useTestDestination() {
  return useMutation({
    mutationFn: async (id: string) => {
      const { data, error } = await api.POST("/api/v1/exports/destinations/{destination_id}/test", {
        params: { path: { destination_id: id } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useDeliveries(destinationId: string) {
  return useQuery({
    queryKey: destinationKeys.deliveries(destinationId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/exports/destinations/{destination_id}/deliveries", {
        params: { path: { destination_id: destinationId }, query: { limit: 20 } },
      });
      if (error) throw error;
      return data.items;
    },
  });
}
