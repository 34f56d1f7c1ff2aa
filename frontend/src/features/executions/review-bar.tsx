"use client";

/** For a bot that reviews rows before they leave: how many wait, and approve or reject them all. */
import { useState } from "react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { useReviewExecution, useReviewState } from "@/hooks/queries/executions";
import { errorMessage } from "@/lib/api/client";

export function ReviewBar({ executionId }: { executionId: string }) {
  const state = useReviewState(executionId, true);
  const review = useReviewExecution(executionId);
  const [confirmReject, setConfirmReject] = useState(false);

  return (
    <section
      aria-label="Review"
      className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <div className="text-sm">
        <p className="font-medium text-amber-900">
          These rows wait for your review before they are exported.
        </p>
        {state.data ? (
          <p className="text-amber-900/80">
            {state.data.pending} pending · {state.data.approved} approved · {state.data.rejected} rejected
          </p>
        ) : null}
        {review.error ? (
          <p role="alert" className="text-destructive">
            {errorMessage(review.error)}
          </p>
        ) : null}
      </div>
      <div className="flex gap-2">
        <Button variant="outline" disabled={review.isPending} onClick={() => setConfirmReject(true)}>
          Reject all
        </Button>
        <Button disabled={review.isPending} onClick={() => review.mutate("approve")}>
          {review.isPending ? "Saving…" : "Approve and export"}
        </Button>
      </div>
      <Dialog open={confirmReject} onOpenChange={setConfirmReject}>
        <DialogContent title="Reject every pending row?" description="Rejected rows are never exported.">
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="outline">Keep them</Button>
            </DialogClose>
            <Button
              variant="destructive"
              onClick={() => review.mutate("reject", { onSettled: () => setConfirmReject(false) })}
            >
              Reject all
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </section>
  );
}
