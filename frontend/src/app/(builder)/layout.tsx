import type { ReactNode } from "react";

import { RequireSession } from "@/features/auth/require-session";

/** The builder is full-screen: no dashboard shell, only signed-in people. */
export default function BuilderLayout({ children }: { children: ReactNode }) {
  return (
    <div className="flex h-dvh flex-col overflow-hidden">
      <RequireSession>{children}</RequireSession>
    </div>
  );
}
