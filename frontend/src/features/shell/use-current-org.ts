/** The organization the dashboard works in: the one chosen in the session when it is still one of the person's,
 * else their default (personal) organization. */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect } from "react";

import { useMe } from "@/hooks/queries/auth";
import { orgKeys, useOrgs, type Organization } from "@/hooks/queries/orgs";
import { useSession } from "@/lib/api/session";

export function useCurrentOrg() {
  const orgs = useOrgs();
  const me = useMe();
  const orgId = useSession((state) => state.orgId);
  const current = orgs.data?.find((org) => org.id === orgId);

  useEffect(() => {
    if (!orgs.data?.length || current) return;
    const fallback = orgs.data.find((org) => org.id === me.data?.default_org_id) ?? orgs.data[0];
    useSession.getState().setOrgId(fallback.id);
  }, [orgs.data, me.data, current]);

  return { orgs, current };
}

/** Switching organization: everything cached belonged to the previous one, so it is reset and refetched. */
export function useSwitchOrg() {
  const client = useQueryClient();
  return useCallback(
    (org: Pick<Organization, "id">) => {
      useSession.getState().setOrgId(org.id);
      void client.resetQueries({ predicate: (query) => query.queryKey[0] !== orgKeys.all[0] });
    },
    [client],
  );
}
