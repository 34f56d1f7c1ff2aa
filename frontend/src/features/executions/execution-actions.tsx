"use client";

/** What can be done with an execution: cancel it while it runs, retry its failed pages, download its rows. */
import { Download, RotateCcw, Square } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import {
  FINISHED_STATUSES,
  isActive,
  useCancelExecution,
  useRetryExecution,
  type ExecutionDetail,
} from "@/hooks/queries/executions";
import { downloadRows, type DownloadFormat } from "@/hooks/queries/rows";
import { errorMessage } from "@/lib/api/client";

const FORMATS: { value: DownloadFormat; label: string }[] = [
  { value: "csv", label: "CSV" },
  { value: "json", label: "JSON" },
  { value: "jsonl", label: "JSON Lines" },
  { value: "xlsx", label: "Excel (XLSX)" },
];

export function ExecutionActions({ execution }: { execution: ExecutionDetail }) {
  const router = useRouter();
  const cancel = useCancelExecution(execution.id);
  const retry = useRetryExecution(execution.id);
  const [downloading, setDownloading] = useState<DownloadFormat | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function download(format: DownloadFormat) {
    setProblem(null);
    setDownloading(format);
    try {
      await downloadRows(execution.id, format);
    } catch (error) {
      setProblem(errorMessage(error));
    } finally {
      setDownloading(null);
    }
  }

  const failure = cancel.error ?? retry.error;
  return (
    <div className="grid justify-items-end gap-2">
      <div className="flex flex-wrap gap-2">
        {isActive(execution.status) ? (
          <Button variant="outline" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            <Square aria-hidden /> {cancel.isPending ? "Cancelling…" : "Cancel"}
          </Button>
        ) : null}
        {FINISHED_STATUSES.has(execution.status) && execution.pages_failed > 0 ? (
          <Button
            variant="outline"
            disabled={retry.isPending}
            onClick={() =>
              retry.mutate(undefined, { onSuccess: (next) => router.push(`/executions/${next.id}`) })
            }
          >
            <RotateCcw aria-hidden /> {retry.isPending ? "Retrying…" : "Retry failed pages"}
          </Button>
        ) : null}
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button disabled={execution.rows_count === 0 || downloading !== null}>
              <Download aria-hidden /> {downloading ? "Preparing…" : "Download"}
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            {FORMATS.map((format) => (
              <DropdownMenuItem key={format.value} onSelect={() => void download(format.value)}>
                {format.label}
              </DropdownMenuItem>
            ))}
          </DropdownMenuContent>
        </DropdownMenu>
      </div>
      {problem || failure ? (
        <p role="alert" className="text-sm text-destructive">
          {problem ?? errorMessage(failure)}
        </p>
      ) : null}
    </div>
  );
}
