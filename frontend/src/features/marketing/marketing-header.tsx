/** The public pages' header: the product name and the links to pricing, sign-in and sign-up. */
import Link from "next/link";

import { buttonVariants } from "@/components/ui/button";

export function MarketingHeader() {
  return (
    <header className="border-b border-border bg-background/90 backdrop-blur">
      <div className="mx-auto flex h-16 max-w-6xl items-center justify-between px-6">
        <Link href="/" className="text-lg font-semibold tracking-tight">
          ScrapeFlow
        </Link>
        <nav aria-label="Site" className="flex items-center gap-2">
          <Link href="/pricing" className={buttonVariants({ variant: "ghost" })}>
            Pricing
          </Link>
          <Link href="/login" className={buttonVariants({ variant: "ghost" })}>
            Sign in
          </Link>
          <Link href="/register" className={buttonVariants()}>
            Get started
          </Link>
        </nav>
      </div>
    </header>
  );
}

export function MarketingFooter() {
  return (
    <footer className="border-t border-border">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-6 py-8 text-sm text-muted-foreground">
        <p>ScrapeFlow — open-source, self-hostable web scraping without code.</p>
        <nav aria-label="Footer" className="flex gap-4">
          <Link href="/pricing" className="hover:text-foreground">
            Pricing
          </Link>
          <Link href="/login" className="hover:text-foreground">
            Sign in
          </Link>
        </nav>
      </div>
    </footer>
  );
}
