"use client";

/** Shows its children only to a signed-in person: restores the access token from the refresh cookie, else sends
 * them to /login and back here afterwards. */
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";

import { Loading } from "@/components/ui/states";
import { refreshAccessToken } from "@/lib/api/client";
import { useSession } from "@/lib/api/session";

export function RequireSession({ children }: { children: ReactNode }) {
  const accessToken = useSession((state) => state.accessToken);
  const router = useRouter();
  const pathname = usePathname();

  useEffect(() => {
    if (accessToken) return;
    let cancelled = false;
    void refreshAccessToken().then((token) => {
      if (cancelled) return;
      // A token lands in the session store, which re-renders this guard with the children.
      if (!token) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
    });
    return () => {
      cancelled = true;
    };
  }, [accessToken, pathname, router]);

  if (!accessToken) {
    return (
      <div className="mx-auto w-full max-w-3xl p-10">
        <Loading label="Checking your session…" />
      </div>
    );
  }
  return <>{children}</>;
}
