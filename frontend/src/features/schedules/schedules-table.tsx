"use client";

/** Schedules (all, or one bot's): when each runs next, in its time zone; pause/resume, edit and delete. */
import Link from "next/link";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useBots } from "@/hooks/queries/bots";
import { useDeleteSchedule, useSchedules, useToggleSchedule, type Schedule } from "@/hooks/queries/schedules";
import { errorMessage } from "@/lib/api/client";

import { ScheduleDialog } from "./schedule-dialog";

function zonedTime(value: string | null, timezone: string): string {
  if (!value) return "—";
  try {
    return new Intl.DateTimeFormat(undefined, {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: timezone,
    }).format(new Date(value));
  } catch {
    return new Date(value).toLocaleString();
  }
}

export function SchedulesTable({ botId }: { botId?: string }) {
  const schedules = useSchedules(botId);
  const bots = useBots("");
  const names = new Map(
    (bots.data?.pages ?? []).flatMap((page) => page.items).map((bot) => [bot.id, bot.name]),
  );
  const toggle = useToggleSchedule();
  const remove = useDeleteSchedule();
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const items = schedules.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = toggle.error ?? remove.error;

  return (
    <div className="grid gap-4">
      <div className="flex justify-end">
        <Button onClick={() => setCreating(true)}>New schedule</Button>
      </div>
      {failure ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(failure)}
        </p>
      ) : null}
      {schedules.isPending ? (
        <Loading label="Loading schedules…" />
      ) : schedules.isError ? (
        <ErrorState error={schedules.error} onRetry={() => void schedules.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState
          title="No schedules yet"
          action={<Button onClick={() => setCreating(true)}>Schedule a bot</Button>}
        >
          A schedule runs a bot on its own: every hour, every weekday morning, once a month…
        </EmptyState>
      ) : (
        <Table aria-label="Schedules">
          <TableHeader>
            <TableRow>
              {botId ? null : <TableHead>Bot</TableHead>}
              <TableHead>When</TableHead>
              <TableHead>Time zone</TableHead>
              <TableHead>Next run</TableHead>
              <TableHead>Active</TableHead>
              <TableHead className="text-right">Actions</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((schedule) => {
              const botName = names.get(schedule.bot_id) ?? "Bot";
              return (
                <TableRow key={schedule.id}>
                  {botId ? null : (
                    <TableCell>
                      <Link href={`/bots/${schedule.bot_id}`} className="font-medium hover:underline">
                        {botName}
                      </Link>
                    </TableCell>
                  )}
                  <TableCell>
                    {schedule.description}
                    <p className="font-mono text-xs text-muted-foreground">{schedule.cron_expression}</p>
                  </TableCell>
                  <TableCell>{schedule.timezone.replaceAll("_", " ")}</TableCell>
                  <TableCell>
                    {schedule.is_active ? zonedTime(schedule.next_run, schedule.timezone) : "Paused"}
                  </TableCell>
                  <TableCell>
                    <label className="inline-flex items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        role="switch"
                        className="size-4"
                        checked={schedule.is_active}
                        disabled={toggle.isPending}
                        aria-label={`Active: ${botName}, ${schedule.description}`}
                        onChange={() => toggle.mutate(schedule.id)}
                      />
                      {schedule.is_active ? "On" : "Off"}
                    </label>
                  </TableCell>
                  <TableCell className="text-right whitespace-nowrap">
                    <Button variant="ghost" size="sm" onClick={() => setEditing(schedule)}>
                      Edit
                    </Button>
                    <Button variant="ghost" size="sm" onClick={() => setDeleting(schedule)}>
                      Delete
                    </Button>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {schedules.hasNextPage ? (
        <Button
          variant="outline"
          className="justify-self-center"
          disabled={schedules.isFetchingNextPage}
          onClick={() => void schedules.fetchNextPage()}
        >
          Load more
        </Button>
      ) : null}

      {creating ? <ScheduleDialog open onOpenChange={setCreating} botId={botId} /> : null}
      {editing ? (
        <ScheduleDialog
          key={editing.id}
          open
          schedule={editing}
          botId={botId}
          onOpenChange={(open) => !open && setEditing(null)}
        />
      ) : null}
      <Dialog open={deleting !== null} onOpenChange={(open) => !open && setDeleting(null)}>
        <DialogContent title="Delete this schedule?" description={deleting?.description}>
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="outline">Keep it</Button>
            </DialogClose>
            <Button
              variant="destructive"
              disabled={remove.isPending}
              onClick={() => deleting && remove.mutate(deleting.id, { onSettled: () => setDeleting(null) })}
            >
              Delete schedule
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </div>
  );
}
