/** The heading of one settings page. */
import type { ReactNode } from "react";

export function SettingsHeader({
  title,
  description,
  action,
}: {
  title: string;
  description: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="flex flex-wrap items-start justify-between gap-4">
      <div className="grid gap-1">
        <h2 className="text-lg font-semibold">{title}</h2>
        <p className="max-w-2xl text-sm text-muted-foreground">{description}</p>
      </div>
      {action}
    </div>
  );
}

/** Shown in place of controls a role may not use, so nobody clicks into a 403. */
export function RoleNote({ children }: { children: ReactNode }) {
  return <p className="rounded-md bg-muted px-3 py-2 text-sm text-muted-foreground">{children}</p>;
}
