/** The execution's counters and where it is in the pipeline (map → scrape → extract → save → export). */
import { Check } from "lucide-react";

import type { ExecutionDetail } from "@/hooks/queries/executions";
import { FINISHED_STATUSES } from "@/hooks/queries/executions";
import { cn } from "@/lib/utils";

import { formatCount, formatDateTime, formatDuration } from "./format";

const STAGES = [
  { value: "mapping", label: "Map" },
  { value: "scraping", label: "Scrape" },
  { value: "extracting", label: "Extract" },
  { value: "saving", label: "Save" },
  { value: "exporting", label: "Export" },
] as const;

function Stages({ execution }: { execution: ExecutionDetail }) {
  const finished = FINISHED_STATUSES.has(execution.status);
  const current = STAGES.findIndex((stage) => stage.value === execution.stage);
  return (
    <ol aria-label="Stages" className="flex flex-wrap items-center gap-2 text-sm">
      {STAGES.map((stage, index) => {
        const done = execution.status === "succeeded" || (current >= 0 && index < current);
        const now = !finished && index === current;
        return (
          <li
            key={stage.value}
            aria-current={now ? "step" : undefined}
            className={cn(
              "flex items-center gap-1 rounded-full border px-3 py-1",
              done && "border-green-300 bg-green-50 text-green-800",
              now && "border-indigo-300 bg-indigo-50 font-medium text-indigo-800",
              !done && !now && "border-border text-muted-foreground",
            )}
          >
            {done ? <Check aria-hidden className="size-3" /> : null}
            {stage.label}
            {now ? <span className="sr-only"> (in progress)</span> : null}
          </li>
        );
      })}
    </ol>
  );
}

export function ExecutionSummary({ execution }: { execution: ExecutionDetail }) {
  const stats = [
    { label: "URLs found", value: formatCount(execution.urls_found) },
    { label: "Pages done", value: formatCount(execution.pages_done) },
    { label: "Pages failed", value: formatCount(execution.pages_failed), bad: execution.pages_failed > 0 },
    { label: "Rows", value: formatCount(execution.rows_count) },
    { label: "LLM tokens", value: formatCount(execution.llm_tokens) },
    { label: "Duration", value: formatDuration(execution.started_at, execution.finished_at) },
  ];
  return (
    <div className="grid gap-4">
      <Stages execution={execution} />
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        {stats.map((stat) => (
          <div key={stat.label} className="rounded-lg border border-border p-3">
            <dt className="text-xs text-muted-foreground">{stat.label}</dt>
            <dd className={cn("text-xl font-semibold tabular-nums", stat.bad && "text-destructive")}>
              {stat.value}
            </dd>
          </div>
        ))}
      </dl>
      <p className="text-xs text-muted-foreground">
        Created {formatDateTime(execution.created_at)} · started {formatDateTime(execution.started_at)} ·
        finished {formatDateTime(execution.finished_at)} · bot version {execution.bot_version}
      </p>
    </div>
  );
}
