/** The execution's log, newest at the bottom, levels coloured. */
import { EmptyState } from "@/components/ui/states";
import type { ExecutionDetail } from "@/hooks/queries/executions";
import { cn } from "@/lib/utils";

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export function ExecutionLog({ logs }: { logs: ExecutionDetail["logs"] }) {
  if (logs.length === 0) return <EmptyState title="No log lines yet" />;
  return (
    <ol
      aria-label="Log"
      className="max-h-[60vh] overflow-auto rounded-lg border border-border bg-muted/30 p-3 font-mono text-xs"
    >
      {logs.map((line) => (
        <li key={line.seq} className="flex gap-3 py-0.5">
          <time dateTime={line.created_at} className="shrink-0 text-muted-foreground">
            {timeOnly.format(new Date(line.created_at))}
          </time>
          <span
            className={cn(
              "w-14 shrink-0 uppercase",
              line.level === "error" && "text-destructive",
              line.level === "warning" && "text-amber-700",
            )}
          >
            {line.level}
          </span>
          <span className="break-all">{line.message}</span>
        </li>
      ))}
    </ol>
  );
}
