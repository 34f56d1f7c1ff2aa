"use client";

/** The last-resort boundary for errors in the root layout itself; it replaces the whole document. */
import "./globals.css";

export default function GlobalError({ retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body className="flex min-h-screen items-center justify-center p-10">
        <main role="alert" className="grid max-w-md gap-4 text-center">
          <h1 className="text-2xl font-semibold">ScrapeFlow hit an unexpected error</h1>
          <p className="text-sm text-muted-foreground">Reload the page; your bots and data are safe.</p>
          <button
            type="button"
            onClick={retry}
            className="mx-auto rounded-md bg-primary px-4 py-2 text-sm font-medium text-primary-foreground"
          >
            Try again
          </button>
        </main>
      </body>
    </html>
  );
}
