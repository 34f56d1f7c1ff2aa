"use client";

/** A bot's saved versions: compare any of them with the current one, and restore one (saved as a new version). */
import { useState } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime } from "@/features/executions/format";
import { useBotVersions, useRestoreVersion, type Bot, type BotVersion } from "@/hooks/queries/bots";
import { errorMessage } from "@/lib/api/client";

import { VersionDiffView } from "./version-diff-view";

export function BotVersions({ bot }: { bot: Bot }) {
  const versions = useBotVersions(bot.id);
  const restore = useRestoreVersion(bot.id);
  const [comparing, setComparing] = useState<BotVersion | null>(null);
  const [restoring, setRestoring] = useState<BotVersion | null>(null);

  if (versions.isPending) return <Loading label="Loading versions…" />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  if (versions.data.items.length === 0) return <EmptyState title="No versions yet" />;

  return (
    <div className="grid gap-4">
      {restore.error ? (
        <p role="alert" className="text-sm text-destructive">
          {errorMessage(restore.error)}
        </p>
      ) : null}
      <Table aria-label="Versions">
        <TableHeader>
          <TableRow>
            <TableHead>Version</TableHead>
            <TableHead>Message</TableHead>
            <TableHead>Saved</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {versions.data.items.map((version) => {
            const current = version.version === bot.version;
            return (
              <TableRow key={version.version} aria-selected={comparing?.version === version.version}>
                <TableCell className="whitespace-nowrap">
                  v{version.version} {current ? <Badge tone="info">Current</Badge> : null}
                </TableCell>
                <TableCell>{version.message || "—"}</TableCell>
                <TableCell className="whitespace-nowrap">{formatDateTime(version.created_at)}</TableCell>
                <TableCell className="text-right whitespace-nowrap">
                  {current ? null : (
                    <>
                      <Button variant="ghost" size="sm" onClick={() => setComparing(version)}>
                        Compare with current
                      </Button>
                      <Button variant="ghost" size="sm" onClick={() => setRestoring(version)}>
                        Restore
                      </Button>
                    </>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>

      {comparing ? (
        <VersionDiffView older={comparing} current={bot} onClose={() => setComparing(null)} />
      ) : null}

      <Dialog open={restoring !== null} onOpenChange={(open) => !open && setRestoring(null)}>
        <DialogContent
          title={`Restore version ${restoring?.version ?? ""}?`}
          description={`The bot becomes what it was in version ${restoring?.version ?? ""}, saved as version ${bot.version + 1}. Nothing is lost: today's version stays in the history.`}
        >
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="outline">Cancel</Button>
            </DialogClose>
            <Button
              disabled={restore.isPending}
              onClick={() =>
                restoring &&
                restore.mutate(restoring.version, {
                  onSettled: () => {
                    setRestoring(null);
                    setComparing(null);
                  },
                })
              }
            >
              {restore.isPending ? "Restoring…" : "Restore"}
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </div>
  );
}
