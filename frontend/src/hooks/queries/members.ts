/** An organization's members and roles, and its pending invitations. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

import type { Role } from "./orgs";

export const memberKeys = {
  members: (orgId: string) => ["members", orgId] as const,
  invitations: (orgId: string) => ["invitations", orgId] as const,
};

export type Member = components["schemas"]["Member"];
export type Invitation = components["schemas"]["Invitation"];
export type InvitationCreated = components["schemas"]["InvitationCreated"];

export function useMembers(orgId: string) {
  return useQuery({
    queryKey: memberKeys.members(orgId),
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/orgs/{org_id}/members", {
        params: { path: { org_id: orgId } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useUpdateMember(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Role }) => {
      const { data, error } = await api.PUT("/api/v1/orgs/{org_id}/members/{user_id}", {
        params: { path: { org_id: orgId, user_id: userId } },
        body: { role },
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: memberKeys.members(orgId) }),
  });
}

export function useRemoveMember(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (userId: string) => {
      const { error } = await api.DELETE("/api/v1/orgs/{org_id}/members/{user_id}", {
        params: { path: { org_id: orgId, user_id: userId } },
      });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: memberKeys.members(orgId) }),
  });
}

export function useInvitations(orgId: string, enabled = true) {
  return useQuery({
    queryKey: memberKeys.invitations(orgId),
    enabled,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/orgs/{org_id}/invitations", {
        params: { path: { org_id: orgId } },
      });
      if (error) throw error;
      return data;
    },
  });
}

export function useInvite(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: { email: string; role: Role }) => {
      const { data, error } = await api.POST("/api/v1/orgs/{org_id}/invitations", {
        params: { path: { org_id: orgId } },
        body,
      });
      if (error) throw error;
      return data;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: memberKeys.invitations(orgId) }),
  });
}

export function useRevokeInvitation(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (invitationId: string) => {
      const { error } = await api.DELETE("/api/v1/orgs/{org_id}/invitations/{invitation_id}", {
        params: { path: { org_id: orgId, invitation_id: invitationId } },
      });
      if (error) throw error;
    },
    onSuccess: () => client.invalidateQueries({ queryKey: memberKeys.invitations(orgId) }),
  });
}
