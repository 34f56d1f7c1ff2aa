import Link from "next/link";
import type { ReactNode } from "react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col bg-muted/50">
      <header className="px-6 py-5">
        <Link href="/" className="text-lg font-semibold tracking-tight">
          ScrapeFlow
        </Link>
      </header>
      <main className="flex flex-1 items-start justify-center px-4 pt-8 pb-16">{children}</main>
    </div>
  );
}
