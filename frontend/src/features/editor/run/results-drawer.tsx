"use client";

/** The test run's results under the canvas: the page it ran on, the final rows, and any error. */
import { X } from "lucide-react";

import { Button } from "@/components/ui/button";

import type { TestRun } from "../types";

const show = (value: unknown) =>
  value === null || value === undefined
    ? "—"
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);

export function ResultsDrawer({ run, onClose }: { run: TestRun; onClose: () => void }) {
  const rows = run.rows ?? [];
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].slice(0, 12);
  return (
    <section
      aria-labelledby="results-title"
      className="flex max-h-[40vh] flex-col border-t border-border bg-background"
    >
      <header className="flex items-center gap-3 border-b border-border px-4 py-2 text-sm">
        <h2 id="results-title" className="font-semibold">
          Test run {run.ok ? "results" : "failed"}
        </h2>
        <span className="truncate text-muted-foreground">
          {run.final_url ?? run.url} · HTTP {run.status ?? "—"} · {run.render} ·{" "}
          {Math.round(run.elapsed_ms ?? 0)} ms · {rows.length} row{rows.length === 1 ? "" : "s"}
        </span>
        <Button
          variant="ghost"
          size="icon"
          className="ml-auto"
          aria-label="Close the results"
          onClick={onClose}
        >
          <X aria-hidden />
        </Button>
      </header>
      <div className="overflow-auto p-4 text-sm">
        {run.error ? (
          <p role="alert" className="mb-3 text-destructive">
            {run.error.message} <span className="text-xs">({run.error.code})</span>
          </p>
        ) : null}
        {(run.notes ?? []).map((note) => (
          <p key={note} className="mb-1 text-xs text-muted-foreground">
            {note}
          </p>
        ))}
        {rows.length ? (
          <table className="w-full text-xs">
            <thead className="bg-muted/60 text-left">
              <tr>
                <th scope="col" className="px-2 py-1">
                  #
                </th>
                {columns.map((column) => (
                  <th key={column} scope="col" className="px-2 py-1">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={index} className="border-t border-border">
                  <td className="px-2 py-1 text-muted-foreground">{index + 1}</td>
                  {columns.map((column) => (
                    <td key={column} className="max-w-64 truncate px-2 py-1" title={show(row[column])}>
                      {show(row[column])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ) : run.error ? null : (
          <p className="text-muted-foreground">
            No rows on this page. Check the selectors on the Extract step.
          </p>
        )}
      </div>
    </section>
  );
}
