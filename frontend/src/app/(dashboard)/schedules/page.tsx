import type { Metadata } from "next";

import { PageShell } from "@/features/executions/page-shell";
import { SchedulesTable } from "@/features/schedules/schedules-table";

export const metadata: Metadata = { title: "Schedules" };

export default function SchedulesPage() {
  return (
    <PageShell title="Schedules" description="Bots that run on their own, on a cron schedule in a time zone.">
      <SchedulesTable />
    </PageShell>
  );
}
