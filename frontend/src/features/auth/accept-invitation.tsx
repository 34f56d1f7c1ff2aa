"use client";

/** Joins the organization an invitation link names; a signed-out invitee signs in or registers first and comes
 * back here. */
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { Button, buttonVariants } from "@/components/ui/button";
import { Loading } from "@/components/ui/states";
import { useAcceptInvitation } from "@/hooks/queries/auth";
import { errorMessage, refreshAccessToken } from "@/lib/api/client";
import { useSession } from "@/lib/api/session";

import { AuthCard, FormError } from "./auth-card";

export function AcceptInvitation() {
  const token = useSearchParams().get("token") ?? "";
  const router = useRouter();
  const accessToken = useSession((state) => state.accessToken);
  const [checked, setChecked] = useState(false);
  const accept = useAcceptInvitation();

  useEffect(() => {
    if (accessToken) return;
    let cancelled = false;
    void refreshAccessToken().then(() => {
      if (!cancelled) setChecked(true);
    });
    return () => {
      cancelled = true;
    };
  }, [accessToken]);

  if (!token) {
    return (
      <AuthCard title="Invitation link incomplete">
        <p className="text-sm text-muted-foreground">
          This link has no invitation in it. Open the link from your invitation email again, or ask the person
          who invited you to send a new one.
        </p>
      </AuthCard>
    );
  }
  if (!accessToken && !checked) {
    return (
      <div className="w-full max-w-sm">
        <Loading label="Checking your session…" />
      </div>
    );
  }

  const back = `/invitations/accept?token=${encodeURIComponent(token)}`;
  if (!accessToken) {
    return (
      <AuthCard
        title="You're invited"
        description="Sign in or create an account with the email address the invitation was sent to, then accept it."
      >
        <Link className={buttonVariants()} href={`/login?next=${encodeURIComponent(back)}`}>
          Sign in to accept
        </Link>
        <Link
          className={buttonVariants({ variant: "outline" })}
          href={`/register?next=${encodeURIComponent(back)}`}
        >
          Create an account
        </Link>
      </AuthCard>
    );
  }

  const join = async () => {
    try {
      await accept.mutateAsync(token);
      router.replace("/bots");
    } catch {
      // Shown below.
    }
  };
  return (
    <AuthCard
      title="Join the organization"
      description="Accept the invitation to work on its bots with the team."
    >
      <FormError message={accept.error ? errorMessage(accept.error) : null} />
      <Button onClick={join} disabled={accept.isPending}>
        {accept.isPending ? "Joining…" : "Accept invitation"}
      </Button>
      <Link className={buttonVariants({ variant: "ghost" })} href="/bots">
        Not now
      </Link>
    </AuthCard>
  );
}
