"use client";

/** The app's error boundary: says something went wrong, offers to try again, and logs the error for support. */
import Link from "next/link";
import { useEffect } from "react";

import { Button, buttonVariants } from "@/components/ui/button";

export default function ErrorBoundary({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error && "digest" in error ? String(error.digest) : null;
  return (
    <main
      role="alert"
      className="mx-auto flex min-h-[60vh] max-w-md flex-col items-center justify-center gap-4 p-10 text-center"
    >
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="text-sm text-muted-foreground">
        This page hit an unexpected error. Trying again usually helps; your bots and data are safe.
      </p>
      {digest ? <p className="font-mono text-xs text-muted-foreground">Reference: {digest}</p> : null}
      <div className="flex gap-2">
        <Button onClick={retry}>Try again</Button>
        <Link href="/bots" className={buttonVariants({ variant: "outline" })}>
          Go to your bots
        </Link>
      </div>
    </main>
  );
}
