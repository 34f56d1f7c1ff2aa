"use client";

/** Renders one settings page with the dashboard's current organization. */
import type { ComponentType } from "react";

import { Loading } from "@/components/ui/states";
import { useCurrentOrg } from "@/features/shell/use-current-org";
import type { Organization } from "@/hooks/queries/orgs";

export function WithOrg({ page: Page }: { page: ComponentType<{ org: Organization }> }) {
  const { current } = useCurrentOrg();
  return current ? <Page org={current} /> : <Loading />;
}
