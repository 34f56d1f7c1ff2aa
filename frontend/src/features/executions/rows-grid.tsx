/** A page of rows as a grid: one column per field, new rows and changed cells (against the previous run)
 * highlighted, the header kept in view while scrolling. */
import { Badge } from "@/components/ui/badge";
import { TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { ResultRow } from "@/hooks/queries/rows";
import { cn } from "@/lib/utils";

/** The fields of a page of rows, in the order they first appear. */
export function columnsOf(rows: ResultRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row.data)) seen.add(key);
  return [...seen];
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function previousValue(row: ResultRow, field: string): { changed: boolean; from: unknown } {
  const change = row.change_status === "changed" ? (row.diff as Record<string, unknown>)[field] : undefined;
  if (change === undefined) return { changed: false, from: undefined };
  const from =
    change && typeof change === "object" && "from" in change ? (change as { from: unknown }).from : undefined;
  return { changed: true, from };
}

function Cell({ value }: { value: unknown }) {
  const text = cellText(value);
  if (!text) return <span className="text-muted-foreground">—</span>;
  if (typeof value === "string" && /^https?:\/\//.test(value)) {
    return (
      <a href={value} target="_blank" rel="noreferrer noopener" className="text-primary hover:underline">
        {text}
      </a>
    );
  }
  return <>{text}</>;
}

export function RowsGrid({ rows, showReview = false }: { rows: ResultRow[]; showReview?: boolean }) {
  const columns = columnsOf(rows);
  return (
    <div className="max-h-[70vh] overflow-auto rounded-lg border border-border">
      <table className="w-full caption-bottom text-sm" aria-label="Rows">
        <TableHeader>
          <TableRow>
            <TableHead className="sticky top-0 z-10 bg-muted">Change</TableHead>
            {showReview ? <TableHead className="sticky top-0 z-10 bg-muted">Review</TableHead> : null}
            {columns.map((column) => (
              <TableHead key={column} className="sticky top-0 z-10 bg-muted whitespace-nowrap">
                {column}
              </TableHead>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((row) => (
            <TableRow
              key={row.id}
              data-change={row.change_status}
              className={cn(row.change_status === "new" && "bg-green-50 hover:bg-green-100/70")}
            >
              <TableCell className="whitespace-nowrap">
                {row.change_status === "new" ? (
                  <Badge tone="success">New</Badge>
                ) : row.change_status === "changed" ? (
                  <Badge tone="warning">Changed</Badge>
                ) : (
                  <span className="text-xs text-muted-foreground">Unchanged</span>
                )}
              </TableCell>
              {showReview ? <TableCell className="text-xs">{row.review_status ?? "—"}</TableCell> : null}
              {columns.map((column) => {
                const { changed, from } = previousValue(row, column);
                return (
                  <TableCell
                    key={column}
                    data-changed={changed || undefined}
                    title={changed ? `Was: ${cellText(from) || "(empty)"}` : undefined}
                    className={cn("max-w-80 truncate", changed && "bg-amber-100 font-medium")}
                  >
                    <Cell value={row.data[column]} />
                    {changed ? <span className="sr-only"> (was {cellText(from) || "empty"})</span> : null}
                  </TableCell>
                );
              })}
            </TableRow>
          ))}
        </TableBody>
      </table>
    </div>
  );
}
