"use client";

/** The organization's bots: search, each bot's last run and next scheduled run, and the way to a new bot. */
import { LayoutTemplate, Plus, Search } from "lucide-react";
import Link from "next/link";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { TEMPLATE_NAMES, templateInfo } from "@/features/editor/templates";
import { PageShell } from "@/features/executions/page-shell";
import { formatDateTime, formatRelative } from "@/features/executions/format";
import { ExecutionStatusBadge } from "@/features/executions/status-badge";
import { useBots } from "@/hooks/queries/bots";

import { useDebouncedValue } from "./use-debounced-value";

function NewBotActions() {
  return (
    <div className="flex gap-2">
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="outline">
            <LayoutTemplate aria-hidden /> Start from a template
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end" className="w-80">
          {TEMPLATE_NAMES.map((name) => {
            const template = templateInfo(name);
            return (
              <DropdownMenuItem key={name} asChild>
                <Link href={`/editor/new?template=${name}`} className="grid gap-0.5">
                  <span className="font-medium">{template.title}</span>
                  <span className="text-xs text-muted-foreground">{template.description}</span>
                </Link>
              </DropdownMenuItem>
            );
          })}
        </DropdownMenuContent>
      </DropdownMenu>
      <Button asChild>
        <Link href="/editor/new">
          <Plus aria-hidden /> New bot
        </Link>
      </Button>
    </div>
  );
}

export function BotsList() {
  const [search, setSearch] = useState("");
  const query = useDebouncedValue(search.trim(), 300);
  const bots = useBots(query);
  const items = bots.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <PageShell
      title="Bots"
      description="Each bot visits pages and turns them into rows."
      actions={<NewBotActions />}
    >
      <Field label="Search bots" className="max-w-sm">
        <Input
          type="search"
          placeholder="Name contains…"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </Field>
      {bots.isPending ? (
        <Loading label="Loading bots…" rows={5} />
      ) : bots.isError ? (
        <ErrorState error={bots.error} onRetry={() => void bots.refetch()} />
      ) : items.length === 0 ? (
        query ? (
          <EmptyState title={`No bot matches “${query}”`}>
            <Search aria-hidden className="inline size-4" /> Try another part of its name.
          </EmptyState>
        ) : (
          <EmptyState title="Create your first bot" action={<NewBotActions />}>
            Point a bot at a website, pick the data you want on the page, and get clean rows — now or on a
            schedule.
          </EmptyState>
        )
      ) : (
        <>
          <Table aria-label="Bots">
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Last run</TableHead>
                <TableHead>Next run</TableHead>
                <TableHead className="text-right">Version</TableHead>
                <TableHead>Updated</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((bot) => (
                <TableRow key={bot.id}>
                  <TableCell className="max-w-80">
                    <Link href={`/bots/${bot.id}`} className="font-medium text-primary hover:underline">
                      {bot.name}
                    </Link>
                    {bot.start_url ? (
                      <p className="truncate text-xs text-muted-foreground">{bot.start_url}</p>
                    ) : null}
                  </TableCell>
                  <TableCell>
                    {bot.last_execution ? (
                      <Link
                        href={`/executions/${bot.last_execution.id}`}
                        className="inline-flex items-center gap-2 hover:underline"
                      >
                        <ExecutionStatusBadge status={bot.last_execution.status} />
                        <span className="text-xs text-muted-foreground">
                          {formatRelative(bot.last_execution.finished_at ?? bot.last_execution.created_at)}
                        </span>
                      </Link>
                    ) : (
                      <span className="text-sm text-muted-foreground">Never run</span>
                    )}
                  </TableCell>
                  <TableCell title={bot.next_run_at ? formatDateTime(bot.next_run_at) : undefined}>
                    {bot.next_run_at ? (
                      formatRelative(bot.next_run_at)
                    ) : (
                      <span className="text-sm text-muted-foreground">Not scheduled</span>
                    )}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">v{bot.version}</TableCell>
                  <TableCell className="text-sm">{formatRelative(bot.updated_at)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {bots.hasNextPage ? (
            <Button
              variant="outline"
              className="justify-self-center"
              disabled={bots.isFetchingNextPage}
              onClick={() => void bots.fetchNextPage()}
            >
              {bots.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
          ) : null}
        </>
      )}
    </PageShell>
  );
}
