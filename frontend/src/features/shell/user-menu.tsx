"use client";

/** The header's account menu: who is signed in, and signing out. */
import { LogOut, Settings, UserRound } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";

import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useLogout, useMe } from "@/hooks/queries/auth";

export function UserMenu() {
  const me = useMe();
  const logout = useLogout();
  const router = useRouter();

  // Leave the signed-in area first, so its guard does not see the cleared token and try to restore the session.
  const signOut = () => {
    router.replace("/login");
    logout.mutate();
  };

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label="Account menu" className="rounded-full bg-muted">
          {me.data ? (
            <span aria-hidden className="text-sm font-semibold uppercase">
              {(me.data.name || me.data.email).slice(0, 1)}
            </span>
          ) : (
            <UserRound aria-hidden />
          )}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-60">
        <DropdownMenuLabel className="grid px-2 py-1.5">
          <span className="truncate font-medium">{me.data?.name || "Signed in"}</span>
          <span className="truncate text-xs text-muted-foreground">{me.data?.email}</span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link href="/settings">
            <Settings aria-hidden className="size-4" />
            Settings
          </Link>
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={signOut} disabled={logout.isPending}>
          <LogOut aria-hidden className="size-4" />
          Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
