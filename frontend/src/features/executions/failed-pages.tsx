/** Pages that failed for good, with why; the retry action runs only these again. */
import { EmptyState } from "@/components/ui/states";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { ExecutionDetail } from "@/hooks/queries/executions";

export function FailedPages({ pages }: { pages: ExecutionDetail["dead_letters"] }) {
  if (pages.length === 0) return <EmptyState title="No failed pages">Every page was fetched.</EmptyState>;
  return (
    <Table aria-label="Failed pages">
      <TableHeader>
        <TableRow>
          <TableHead>Page</TableHead>
          <TableHead>Error</TableHead>
          <TableHead className="text-right">HTTP</TableHead>
          <TableHead className="text-right">Attempts</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {pages.map((page) => (
          <TableRow key={page.url}>
            <TableCell className="max-w-96 truncate">
              <a
                href={page.url}
                target="_blank"
                rel="noreferrer noopener"
                className="text-primary hover:underline"
              >
                {page.url}
              </a>
            </TableCell>
            <TableCell>
              <span className="font-mono text-xs">{page.error_code ?? "ERROR"}</span>
              {page.error_message ? (
                <p className="text-xs text-muted-foreground">{page.error_message}</p>
              ) : null}
            </TableCell>
            <TableCell className="text-right tabular-nums">{page.http_status ?? "—"}</TableCell>
            <TableCell className="text-right tabular-nums">{page.attempts}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
