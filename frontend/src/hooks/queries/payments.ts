/** Plans and prices, subscribing through Stripe Checkout, the customer portal, cancelling, and invoices. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export const paymentKeys = {
  plans: ["payments", "plans"] as const,
  invoices: (orgId: string | null) => ["payments", "invoices", orgId] as const,
};

export type Plans = components["schemas"]["Plans"];
export type Invoice = components["schemas"]["InvoiceOut"];

export function usePlans() {
  return useQuery({
    queryKey: paymentKeys.plans,
    staleTime: 5 * 60_000,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/payments/plans");
      if (error) throw error;
      return data;
    },
  });
}

export function useInvoices(orgId: string | null, enabled: boolean) {
  return useQuery({
    queryKey: paymentKeys.invoices(orgId),
    enabled,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/payments/invoices");
      if (error) throw error;
      return data;
    },
  });
}

export function useSubscribe() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (plan: string) => {
      const here = `${window.location.origin}/settings/billing`;
      const { data, error } = await api.POST("/api/v1/payments/subscribe", {
        body: { plan, provider: "stripe", success_url: `${here}?checkout=success`, cancel_url: here },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["usage"] }),
  });
}

export function usePortal() {
  return useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST("/api/v1/payments/portal", {
        body: { return_url: `${window.location.origin}/settings/billing` },
      });
      if (error) throw error;
      return data.url;
    },
  });
}

export function useCancelSubscription() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { data, error } = await api.POST("/api/v1/payments/cancel", { body: { immediately: false } });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["usage"] }),
  });
}
