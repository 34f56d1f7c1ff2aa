import type { Metadata } from "next";

import { ExecutionsTable } from "@/features/executions/executions-table";
import { PageShell } from "@/features/executions/page-shell";

export const metadata: Metadata = { title: "Executions" };

export default function ExecutionsPage() {
  return (
    <PageShell
      title="Executions"
      description="Every run of your bots: now, on a schedule or through the API."
    >
      <ExecutionsTable />
    </PageShell>
  );
}
