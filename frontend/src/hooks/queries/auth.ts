/** Signing in and out, the signed-in person, OAuth providers and accepting an invitation. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { useSession } from "@/lib/api/session";

export const authKeys = {
  me: ["me"] as const,
  providers: ["auth", "oauth-providers"] as const,
};

export type User = components["schemas"]["User"];
export type UserLogin = components["schemas"]["UserLogin"];
export type UserRegister = components["schemas"]["UserRegister"];
export type OAuthProvider = components["schemas"]["OAuthProvider"];

export function useMe() {
  return useQuery({
    queryKey: authKeys.me,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/users/me");
      if (error) throw error;
      return data;
    },
  });
}

export function useOAuthProviders() {
  return useQuery({
    queryKey: authKeys.providers,
    staleTime: 5 * 60_000,
    queryFn: async () => {
      const { data, error } = await api.GET("/api/v1/auth/oauth/providers");
      if (error) throw error;
      return data;
    },
  });
}

async function signIn(body: UserLogin): Promise<void> {
  const { data, error } = await api.POST("/api/v1/auth/login", { body });
  if (error) throw error;
  useSession.getState().setAccessToken(data.access_token);
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: signIn,
    // Whatever was cached belonged to whoever used this tab before.
    onSuccess: () => client.clear(),
  });
}

/** Creates the account, then signs in with it (registering does not start a session by itself). */
export function useRegister() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: UserRegister) => {
      const { error } = await api.POST("/api/v1/auth/register", { body });
      if (error) throw error;
      await signIn({ email: body.email, password: body.password });
    },
    onSuccess: () => client.clear(),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await api.POST("/api/v1/auth/logout");
    },
    // Signed out locally even when the API cannot be reached: the access token is short-lived anyway.
    onSettled: () => {
      const session = useSession.getState();
      session.setAccessToken(null);
      session.setOrgId(null);
      client.clear();
    },
  });
}

export function useAcceptInvitation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (token: string) => {
      const { data, error } = await api.POST("/api/v1/invitations/accept", { body: { token } });
      if (error) throw error;
      return data;
    },
    onSuccess: (org) => {
      useSession.getState().setOrgId(org.id);
      return client.invalidateQueries({ queryKey: ["orgs"] });
    },
  });
}
