/** The line diff of an older version against the current bot, unchanged stretches folded. */
import { Button } from "@/components/ui/button";
import type { Bot, BotVersion } from "@/hooks/queries/bots";
import { cn } from "@/lib/utils";

import { diffVersions, foldUnchanged } from "./version-diff";

export function VersionDiffView({
  older,
  current,
  onClose,
}: {
  older: BotVersion;
  current: Bot;
  onClose: () => void;
}) {
  const lines = diffVersions(older, current);
  const added = lines.filter((line) => line.kind === "added").length;
  const removed = lines.filter((line) => line.kind === "removed").length;
  const chunks = foldUnchanged(lines);

  return (
    <section
      aria-label={`Changes from version ${older.version} to the current version`}
      className="grid gap-2"
    >
      <div className="flex items-center justify-between gap-2">
        <h3 className="font-medium">
          Version {older.version} → current (v{current.version}){" "}
          <span className="text-sm text-green-700">+{added}</span>{" "}
          <span className="text-sm text-red-700">−{removed}</span>
        </h3>
        <Button variant="ghost" size="sm" onClick={onClose}>
          Close
        </Button>
      </div>
      {added + removed === 0 ? (
        <p className="text-sm text-muted-foreground">
          No differences: this version is the same as the current one.
        </p>
      ) : (
        <pre className="max-h-[60vh] overflow-auto rounded-lg border border-border text-xs leading-5">
          {chunks.map((chunk, index) =>
            chunk.kind === "skipped" ? (
              <div key={index} className="bg-muted/60 px-3 text-muted-foreground italic">
                … {chunk.count} unchanged line{chunk.count === 1 ? "" : "s"}
              </div>
            ) : (
              <div
                key={index}
                className={cn(
                  "px-3 whitespace-pre",
                  chunk.kind === "added" && "bg-green-50 text-green-900",
                  chunk.kind === "removed" && "bg-red-50 text-red-900",
                )}
              >
                <span aria-hidden className="mr-2 inline-block w-3 select-none">
                  {chunk.kind === "added" ? "+" : chunk.kind === "removed" ? "−" : " "}
                </span>
                <span className="sr-only">
                  {chunk.kind === "added" ? "Added: " : chunk.kind === "removed" ? "Removed: " : ""}
                </span>
                {chunk.text}
              </div>
            ),
          )}
        </pre>
      )}
    </section>
  );
}
