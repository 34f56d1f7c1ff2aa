"use client";

/** The organization's invoices from the payment provider, each linking to its receipt. */
import { ErrorState, Loading } from "@/components/ui/states";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { useInvoices } from "@/hooks/queries/payments";

import { formatDate, formatMoney } from "./format";

export function Invoices({ orgId }: { orgId: string }) {
  const invoices = useInvoices(orgId, true);
  return (
    <Card>
      <CardHeader>
        <CardTitle>Invoices</CardTitle>
      </CardHeader>
      <CardContent>
        {invoices.isPending ? (
          <Loading label="Loading invoices…" rows={2} />
        ) : invoices.isError ? (
          <ErrorState error={invoices.error} onRetry={() => void invoices.refetch()} />
        ) : invoices.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">No invoices yet.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Date</TableHead>
                <TableHead>Amount</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="text-right">Receipt</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {invoices.data.map((invoice) => (
                <TableRow key={invoice.id}>
                  <TableCell>{formatDate(invoice.created_at)}</TableCell>
                  <TableCell>{formatMoney(invoice.amount, invoice.currency)}</TableCell>
                  <TableCell>
                    <Badge tone={invoice.status === "paid" ? "success" : "neutral"} className="capitalize">
                      {invoice.status}
                    </Badge>
                  </TableCell>
                  <TableCell className="text-right">
                    {invoice.url ? (
                      <a
                        className="text-primary hover:underline"
                        href={invoice.url}
                        target="_blank"
                        rel="noreferrer"
                      >
                        View<span className="sr-only"> invoice of {formatDate(invoice.created_at)}</span>
                      </a>
                    ) : (
                      "—"
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
