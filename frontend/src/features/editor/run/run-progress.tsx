"use client";

/** Live progress of a "Run now" execution: status, stage and counters from its event stream. */
import Link from "next/link";
import { X } from "lucide-react";

import { Button } from "@/components/ui/button";
import { useExecutionProgress } from "@/hooks/queries/workflow";

export function RunProgress({ executionId, onClose }: { executionId: string; onClose: () => void }) {
  const progress = useExecutionProgress(executionId);
  return (
    <div
      role="status"
      aria-live="polite"
      className="flex flex-wrap items-center gap-x-4 gap-y-1 border-t border-border bg-muted/40 px-4 py-2 text-sm"
    >
      <span className="font-medium">
        Run {progress.finished ? progress.status.replace(/_/g, " ") : `${progress.status}…`}
      </span>
      {progress.stage ? <span>Stage: {progress.stage}</span> : null}
      <span>
        {progress.urlsFound} {progress.urlsFound === 1 ? "page" : "pages"} found
      </span>
      <span>{progress.pagesDone} done</span>
      {progress.pagesFailed ? <span className="text-destructive">{progress.pagesFailed} failed</span> : null}
      <span>{progress.rows} rows</span>
      {progress.lastMessage ? (
        <span className="truncate text-muted-foreground">{progress.lastMessage}</span>
      ) : null}
      {progress.error ? <span className="text-destructive">{progress.error}</span> : null}
      <Link
        href={`/executions/${executionId}`}
        className="ml-auto text-primary underline-offset-4 hover:underline"
      >
        Open the execution
      </Link>
      <Button variant="ghost" size="icon" aria-label="Hide the run progress" onClick={onClose}>
        <X aria-hidden />
      </Button>
    </div>
  );
}
