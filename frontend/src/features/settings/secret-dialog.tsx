"use client";

/** Shows a secret the API returns only once (an API key, a webhook signing secret) with a copy button and a
 * plain warning that it cannot be shown again. */
import { TriangleAlert } from "lucide-react";

import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Dialog, DialogContent } from "@/components/ui/dialog";

interface SecretDialogProps {
  title: string;
  label: string;
  secret: string | null;
  onClose: () => void;
}

export function SecretDialog({ title, label, secret, onClose }: SecretDialogProps) {
  return (
    <Dialog open={secret !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent
        title={title}
        // Closing by clicking outside would lose the secret by accident; Done and Escape are deliberate.
        onInteractOutside={(event) => event.preventDefault()}
      >
        <div
          role="note"
          className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950"
        >
          <TriangleAlert aria-hidden className="mt-0.5 size-4 shrink-0" />
          <p>
            Copy it now and keep it somewhere safe. This is the only time it is shown; it cannot be shown
            again.
          </p>
        </div>
        <div className="grid gap-1.5">
          <p className="text-sm font-medium" id="secret-label">
            {label}
          </p>
          <div className="flex items-center gap-2">
            <code
              aria-labelledby="secret-label"
              className="min-w-0 flex-1 rounded-md border border-border bg-muted px-3 py-2 font-mono text-sm break-all"
            >
              {secret}
            </code>
            {secret ? <CopyButton value={secret} /> : null}
          </div>
        </div>
        <div className="flex justify-end">
          <Button onClick={onClose}>Done</Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
