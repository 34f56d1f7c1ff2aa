"use client";

/** The execution's rows, 100 a page, with previous/next through the API's cursors. */
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useExecutionRows } from "@/hooks/queries/rows";

import { RowsGrid } from "./rows-grid";

const PAGE_SIZE = 100;

export function ExecutionRows({ executionId, showReview }: { executionId: string; showReview: boolean }) {
  // The cursors of the pages before this one; the first page has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const rows = useExecutionRows(executionId, cursor, PAGE_SIZE);

  if (rows.isPending) return <Loading label="Loading rows…" />;
  if (rows.isError) return <ErrorState error={rows.error} onRetry={() => void rows.refetch()} />;
  if (rows.data.items.length === 0 && cursors.length === 1) {
    return <EmptyState title="No rows yet">Rows appear here once the execution has saved them.</EmptyState>;
  }
  const first = (cursors.length - 1) * PAGE_SIZE + 1;
  const counts = rows.data.items.reduce(
    (sum, row) => ({ ...sum, [row.change_status]: (sum[row.change_status] ?? 0) + 1 }),
    {} as Record<string, number>,
  );
  return (
    <div className="grid gap-3">
      <p className="text-sm text-muted-foreground">
        Rows {first}–{first + rows.data.items.length - 1} · {counts.new ?? 0} new, {counts.changed ?? 0}{" "}
        changed on this page (against the bot&apos;s previous run)
      </p>
      <RowsGrid rows={rows.data.items} showReview={showReview} />
      <nav aria-label="Row pages" className="flex justify-end gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={cursors.length === 1 || rows.isFetching}
          onClick={() => setCursors((list) => list.slice(0, -1))}
        >
          Previous
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={!rows.data.next_cursor || rows.isFetching}
          onClick={() => setCursors((list) => [...list, rows.data.next_cursor ?? undefined])}
        >
          Next
        </Button>
      </nav>
    </div>
  );
}
