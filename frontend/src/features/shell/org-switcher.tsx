"use client";

/** The header's organization menu: shows the current organization, switches to another, creates one. */
import { Building2, Check, ChevronsUpDown, Plus } from "lucide-react";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Skeleton } from "@/components/ui/states";

import { CreateOrgDialog } from "./create-org-dialog";
import { useCurrentOrg, useSwitchOrg } from "./use-current-org";

export function OrgSwitcher() {
  const { orgs, current } = useCurrentOrg();
  const switchOrg = useSwitchOrg();
  const [creating, setCreating] = useState(false);

  if (orgs.isPending) return <Skeleton className="h-9 w-48" />;
  if (orgs.isError) {
    return (
      <Button variant="outline" size="sm" onClick={() => void orgs.refetch()}>
        Organizations did not load — retry
      </Button>
    );
  }
  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="outline" className="max-w-64 justify-between">
            <Building2 aria-hidden />
            {/* Spoken before the visible name, which stays part of the button's name (WCAG label in name). */}
            <span className="sr-only">Switch organization, current:</span>
            <span className="truncate">{current?.name ?? "Choose organization"}</span>
            <ChevronsUpDown aria-hidden className="opacity-60" />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="start" className="w-64">
          <DropdownMenuLabel className="px-2 py-1 text-xs text-muted-foreground">
            Organizations
          </DropdownMenuLabel>
          {orgs.data.map((org) => (
            <DropdownMenuItem key={org.id} onSelect={() => org.id !== current?.id && switchOrg(org)}>
              <span className="flex-1 truncate">{org.name}</span>
              <span className="text-xs text-muted-foreground capitalize">{org.role}</span>
              {org.id === current?.id ? <Check aria-label="Current" className="size-4" /> : null}
            </DropdownMenuItem>
          ))}
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setCreating(true)}>
            <Plus aria-hidden className="size-4" />
            Create organization
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
      <CreateOrgDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}
