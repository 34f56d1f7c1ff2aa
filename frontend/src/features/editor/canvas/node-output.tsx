/** A test run's output on its node: status and time, the first rows, values, a screenshot, or the error. */
import { memo } from "react";

import type { NodeRun } from "../types";

const MAX_ROWS = 3;

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export const NodeOutput = memo(function NodeOutput({ run }: { run: NodeRun }) {
  const rows = run.rows ?? [];
  const columns = rows.length ? Object.keys(rows[0]).slice(0, 4) : [];
  const { image, ...values } = run.values ?? {};
  const valueEntries = Object.entries(values).slice(0, 4);
  return (
    <div className="mt-2 grid gap-1 border-t border-border pt-2 text-[11px]" data-testid="node-output">
      <p className={run.status === "error" ? "text-destructive" : "text-muted-foreground"}>
        {run.status === "ok" ? "✓" : run.status === "error" ? "✕" : "–"} {run.status} ·{" "}
        {Math.round(run.elapsed_ms)} ms
        {rows.length ? ` · ${rows.length} row${rows.length === 1 ? "" : "s"}` : ""}
      </p>
      {run.error ? <p className="text-destructive">{run.error}</p> : null}
      {columns.length ? (
        <table className="w-full table-fixed">
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column} scope="col" className="truncate text-left font-medium">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((row, index) => (
              <tr key={index}>
                {columns.map((column) => (
                  <td key={column} className="truncate" title={show(row[column])}>
                    {show(row[column])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {valueEntries.map(([key, value]) => (
        <p key={key} className="truncate" title={show(value)}>
          <span className="font-medium">{key.replace(/_/g, " ")}:</span> {show(value)}
        </p>
      ))}
      {typeof image === "string" ? (
        // eslint-disable-next-line @next/next/no-img-element -- a data URL from the test run, nothing to optimise
        <img
          src={image}
          alt="Screenshot taken by this step"
          className="max-h-32 w-full rounded object-cover object-top"
        />
      ) : null}
    </div>
  );
});
