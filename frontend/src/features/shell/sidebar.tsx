"use client";

/** The dashboard's main navigation; the current section is marked with aria-current. */
import { Bot, CalendarClock, History, Settings, type LucideIcon } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";

import { cn } from "@/lib/utils";

const SECTIONS: { href: string; label: string; icon: LucideIcon }[] = [
  { href: "/bots", label: "Bots", icon: Bot },
  { href: "/executions", label: "Executions", icon: History },
  { href: "/schedules", label: "Schedules", icon: CalendarClock },
  { href: "/settings", label: "Settings", icon: Settings },
];

export function isCurrent(pathname: string, href: string): boolean {
  return pathname === href || pathname.startsWith(`${href}/`);
}

export function Sidebar() {
  const pathname = usePathname();
  return (
    <aside className="flex w-56 shrink-0 flex-col border-r border-border bg-muted/40 max-lg:w-48">
      <Link href="/bots" className="px-5 py-4 text-lg font-semibold tracking-tight">
        ScrapeFlow
      </Link>
      <nav aria-label="Main" className="grid gap-1 px-3">
        {SECTIONS.map(({ href, label, icon: Icon }) => {
          const current = isCurrent(pathname, href);
          return (
            <Link
              key={href}
              href={href}
              aria-current={current ? "page" : undefined}
              className={cn(
                "flex items-center gap-2.5 rounded-md px-3 py-2 text-sm font-medium text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
                current && "bg-background text-foreground shadow-sm",
              )}
            >
              <Icon aria-hidden className="size-4" />
              {label}
            </Link>
          );
        })}
      </nav>
    </aside>
  );
}
