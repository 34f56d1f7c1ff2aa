"use client";

/** A list of executions (all, or one bot's) with status and bot filters; queued and running ones update live. */
import Link from "next/link";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { NativeSelect } from "@/components/ui/input";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useBots } from "@/hooks/queries/bots";
import { useExecutions, type ExecutionStatus } from "@/hooks/queries/executions";

import { formatCount, formatDateTime, formatDuration, shortId } from "./format";
import { ExecutionStatusBadge, STATUS_OPTIONS } from "./status-badge";

const TRIGGERS: Record<string, string> = {
  manual: "Manual",
  schedule: "Schedule",
  api: "API",
  retry: "Retry",
  reextract: "Re-extract",
};

export function ExecutionsTable({
  botId,
  initialStatus,
}: {
  botId?: string;
  initialStatus?: ExecutionStatus;
}) {
  const [status, setStatus] = useState<ExecutionStatus | "">(initialStatus ?? "");
  const [botFilter, setBotFilter] = useState(botId ?? "");
  const bots = useBots("");
  const botNames = new Map(
    (bots.data?.pages ?? []).flatMap((page) => page.items).map((bot) => [bot.id, bot.name]),
  );
  const executions = useExecutions({ botId: botFilter || undefined, status: status || undefined });
  const items = executions.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap gap-3">
        <Field label="Status" className="w-48">
          <NativeSelect
            value={status}
            onChange={(event) => setStatus(event.target.value as ExecutionStatus | "")}
          >
            <option value="">Any status</option>
            {STATUS_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </NativeSelect>
        </Field>
        {botId ? null : (
          <Field label="Bot" className="w-64">
            <NativeSelect value={botFilter} onChange={(event) => setBotFilter(event.target.value)}>
              <option value="">All bots</option>
              {[...botNames].map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </NativeSelect>
          </Field>
        )}
      </div>

      {executions.isPending ? (
        <Loading label="Loading executions…" />
      ) : executions.isError ? (
        <ErrorState error={executions.error} onRetry={() => void executions.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={status || botFilter ? "No executions match" : "No executions yet"}>
          {status || botFilter
            ? "Try another status or bot."
            : "Run a bot from its page, or give it a schedule: each run shows up here."}
        </EmptyState>
      ) : (
        <>
          <Table aria-label="Executions">
            <TableHeader>
              <TableRow>
                <TableHead>Started</TableHead>
                {botId ? null : <TableHead>Bot</TableHead>}
                <TableHead>Status</TableHead>
                <TableHead>Trigger</TableHead>
                <TableHead className="text-right">Pages</TableHead>
                <TableHead className="text-right">Rows</TableHead>
                <TableHead className="text-right">Duration</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((execution) => (
                <TableRow key={execution.id}>
                  <TableCell>
                    <Link
                      href={`/executions/${execution.id}`}
                      className="font-medium text-primary hover:underline"
                    >
                      {formatDateTime(execution.created_at)}
                    </Link>
                    <span className="sr-only"> execution {shortId(execution.id)}</span>
                  </TableCell>
                  {botId ? null : (
                    <TableCell>
                      <Link href={`/bots/${execution.bot_id}`} className="hover:underline">
                        {botNames.get(execution.bot_id) ?? `Bot ${shortId(execution.bot_id)}`}
                      </Link>
                    </TableCell>
                  )}
                  <TableCell>
                    <ExecutionStatusBadge status={execution.status} />
                    {execution.stage && execution.status === "running" ? (
                      <span className="ml-2 text-xs text-muted-foreground">{execution.stage}</span>
                    ) : null}
                  </TableCell>
                  <TableCell>{TRIGGERS[execution.trigger] ?? execution.trigger}</TableCell>
                  <TableCell className="text-right tabular-nums">
                    {formatCount(execution.pages_done)}
                    {execution.pages_failed ? (
                      <span className="text-destructive">
                        {" "}
                        / {formatCount(execution.pages_failed)} failed
                      </span>
                    ) : null}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">
                    {formatCount(execution.rows_count)}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">
                    {formatDuration(execution.started_at, execution.finished_at)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {executions.hasNextPage ? (
            <Button
              variant="outline"
              className="justify-self-center"
              disabled={executions.isFetchingNextPage}
              onClick={() => void executions.fetchNextPage()}
            >
              {executions.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
          ) : null}
        </>
      )}
    </div>
  );
}
