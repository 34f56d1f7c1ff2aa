/** The settings frame: title, sub-navigation beside (or above, on narrow screens) the page. */
import type { ReactNode } from "react";

import { SettingsNav } from "./settings-nav";

export function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <div className="mx-auto grid w-full max-w-6xl gap-6">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <div className="grid gap-8 lg:grid-cols-[12rem_minmax(0,1fr)]">
        <SettingsNav />
        <div className="min-w-0">{children}</div>
      </div>
    </div>
  );
}
