"use client";

/** A bot's page: run it, edit it, delete it; its versions, runs, schedules and destinations in tabs. */
import { ArrowLeft, Pencil, Play, Trash2 } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { ErrorState, Loading } from "@/components/ui/states";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { ExecutionsTable } from "@/features/executions/executions-table";
import { PageShell } from "@/features/executions/page-shell";
import { SchedulesTable } from "@/features/schedules/schedules-table";
import { useBot, useDeleteBot } from "@/hooks/queries/bots";
import { useExecuteBot } from "@/hooks/queries/executions";
import { errorMessage } from "@/lib/api/client";

import { BotDestinations } from "./bot-destinations";
import { BotOverview } from "./bot-overview";
import { BotVersions } from "./bot-versions";

export function BotDetail({ botId }: { botId: string }) {
  const router = useRouter();
  const bot = useBot(botId);
  const execute = useExecuteBot();
  const remove = useDeleteBot();
  const [confirmDelete, setConfirmDelete] = useState(false);

  if (bot.isPending) {
    return (
      <PageShell>
        <Loading label="Loading the bot…" rows={5} />
      </PageShell>
    );
  }
  if (bot.isError) {
    return (
      <PageShell>
        <ErrorState error={bot.error} onRetry={() => void bot.refetch()} />
      </PageShell>
    );
  }
  const data = bot.data;
  const failure = execute.error ?? remove.error;

  return (
    <PageShell>
      <Link href="/bots" className="flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft aria-hidden className="size-4" /> All bots
      </Link>
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold">{data.name}</h1>
          <p className="text-sm text-muted-foreground">Version {data.version}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            disabled={execute.isPending}
            onClick={() =>
              execute.mutate(botId, { onSuccess: (run) => router.push(`/executions/${run.id}`) })
            }
          >
            <Play aria-hidden /> {execute.isPending ? "Starting…" : "Run now"}
          </Button>
          <Button variant="outline" asChild>
            <Link href={`/editor/${botId}`}>
              <Pencil aria-hidden /> Edit
            </Link>
          </Button>
          <Button variant="outline" onClick={() => setConfirmDelete(true)}>
            <Trash2 aria-hidden /> Delete
          </Button>
        </div>
      </header>
      {failure ? (
        <p role="alert" className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900">
          {errorMessage(failure)}
        </p>
      ) : null}

      <Tabs defaultValue="overview">
        <TabsList>
          <TabsTrigger value="overview">Overview</TabsTrigger>
          <TabsTrigger value="versions">Versions</TabsTrigger>
          <TabsTrigger value="runs">Runs</TabsTrigger>
          <TabsTrigger value="schedules">Schedules</TabsTrigger>
          <TabsTrigger value="destinations">Destinations</TabsTrigger>
        </TabsList>
        <TabsContent value="overview">
          <BotOverview bot={data} />
        </TabsContent>
        <TabsContent value="versions">
          <BotVersions bot={data} />
        </TabsContent>
        <TabsContent value="runs">
          <ExecutionsTable botId={botId} />
        </TabsContent>
        <TabsContent value="schedules">
          <SchedulesTable botId={botId} />
        </TabsContent>
        <TabsContent value="destinations">
          <BotDestinations bot={data} />
        </TabsContent>
      </Tabs>

      <Dialog open={confirmDelete} onOpenChange={setConfirmDelete}>
        <DialogContent
          title={`Delete “${data.name}”?`}
          description="Its versions, runs, rows and schedules are deleted with it. This cannot be undone."
        >
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="outline">Keep the bot</Button>
            </DialogClose>
            <Button
              variant="destructive"
              disabled={remove.isPending}
              onClick={() =>
                remove.mutate(botId, {
                  onSuccess: () => router.push("/bots"),
                  onSettled: () => setConfirmDelete(false),
                })
              }
            >
              {remove.isPending ? "Deleting…" : "Delete bot"}
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </PageShell>
  );
}
