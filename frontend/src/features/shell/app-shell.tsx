"use client";

/** The signed-in frame: sidebar on the left, header with the organization switcher and account menu on top. */
import type { ReactNode } from "react";

import { ErrorState, Loading } from "@/components/ui/states";

import { OrgSwitcher } from "./org-switcher";
import { Sidebar } from "./sidebar";
import { useCurrentOrg } from "./use-current-org";
import { UserMenu } from "./user-menu";

export function AppShell({ children }: { children: ReactNode }) {
  const { orgs, current } = useCurrentOrg();
  return (
    <div className="flex min-h-screen">
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center justify-between gap-4 border-b border-border px-6">
          <OrgSwitcher />
          <UserMenu />
        </header>
        {/* Pages wait for the organization (every request names it) and start fresh after a switch. */}
        <main key={current?.id ?? "none"} className="min-w-0 flex-1 px-6 py-6 lg:px-8">
          {orgs.isError ? (
            <ErrorState error={orgs.error} onRetry={() => void orgs.refetch()} />
          ) : current ? (
            children
          ) : (
            <Loading label="Loading your organization…" />
          )}
        </main>
      </div>
    </div>
  );
}
