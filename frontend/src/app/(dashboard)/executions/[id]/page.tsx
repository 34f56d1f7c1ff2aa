import type { Metadata } from "next";

import { ExecutionDetailView } from "@/features/executions/execution-detail";
import { PageShell } from "@/features/executions/page-shell";

export const metadata: Metadata = { title: "Execution" };

export default async function ExecutionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <PageShell>
      <ExecutionDetailView executionId={id} />
    </PageShell>
  );
}
