"use client";

/** One execution: live status, stage and counters while it runs; rows, log, failed pages and deliveries. */
import { ArrowLeft } from "lucide-react";
import Link from "next/link";

import { ErrorState, Loading } from "@/components/ui/states";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { useBot } from "@/hooks/queries/bots";
import { FINISHED_STATUSES, useExecution } from "@/hooks/queries/executions";

import { DeliveriesTable } from "./deliveries-table";
import { ExecutionActions } from "./execution-actions";
import { ExecutionLog } from "./execution-log";
import { ExecutionRows } from "./execution-rows";
import { ExecutionSummary } from "./execution-summary";
import { FailedPages } from "./failed-pages";
import { shortId } from "./format";
import { ReviewBar } from "./review-bar";
import { ExecutionStatusBadge } from "./status-badge";
import { useLiveExecution } from "./use-live-execution";

export function ExecutionDetailView({ executionId }: { executionId: string }) {
  const execution = useExecution(executionId);
  const running = Boolean(execution.data && !FINISHED_STATUSES.has(execution.data.status));
  const live = useLiveExecution(executionId, running);
  const bot = useBot(execution.data?.bot_id);

  if (execution.isPending) return <Loading label="Loading the execution…" rows={5} />;
  if (execution.isError)
    return <ErrorState error={execution.error} onRetry={() => void execution.refetch()} />;
  const data = execution.data;

  return (
    <div className="grid gap-6">
      <Link
        href="/executions"
        className="flex items-center gap-1 text-sm text-muted-foreground hover:underline"
      >
        <ArrowLeft aria-hidden className="size-4" /> All executions
      </Link>
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="grid gap-1">
          <h1 className="flex items-center gap-3 text-2xl font-semibold">
            Execution {shortId(data.id)} <ExecutionStatusBadge status={data.status} />
          </h1>
          <p className="text-sm text-muted-foreground">
            Bot{" "}
            <Link href={`/bots/${data.bot_id}`} className="text-primary hover:underline">
              {bot.data?.name ?? shortId(data.bot_id)}
            </Link>
            {running ? (
              <span role="status" className="ml-2">
                · {live ? "Live" : "Reconnecting…"}
              </span>
            ) : null}
          </p>
        </div>
        <ExecutionActions execution={data} />
      </header>

      {data.status === "awaiting_review" ? <ReviewBar executionId={data.id} /> : null}
      {data.error_message || data.export_error ? (
        <div
          role="alert"
          className="grid gap-1 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900"
        >
          {data.error_message ? (
            <p>
              {data.error_code ? <span className="font-mono font-medium">{data.error_code}: </span> : null}
              {data.error_message}
            </p>
          ) : null}
          {data.export_error ? <p>Export: {data.export_error}</p> : null}
        </div>
      ) : null}

      <ExecutionSummary execution={data} />

      <Tabs defaultValue="rows">
        <TabsList>
          <TabsTrigger value="rows">Rows</TabsTrigger>
          <TabsTrigger value="log">Log</TabsTrigger>
          <TabsTrigger value="failed">Failed pages ({data.dead_letters.length})</TabsTrigger>
          <TabsTrigger value="deliveries">Deliveries</TabsTrigger>
        </TabsList>
        <TabsContent value="rows">
          <ExecutionRows executionId={data.id} showReview={data.status === "awaiting_review"} />
        </TabsContent>
        <TabsContent value="log">
          <ExecutionLog logs={data.logs} />
        </TabsContent>
        <TabsContent value="failed">
          <FailedPages pages={data.dead_letters} />
        </TabsContent>
        <TabsContent value="deliveries">
          <DeliveriesTable executionId={data.id} live={running} />
        </TabsContent>
      </Tabs>
    </div>
  );
}
