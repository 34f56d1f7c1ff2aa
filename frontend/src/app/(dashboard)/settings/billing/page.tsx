import type { Metadata } from "next";
import { Suspense } from "react";

import { BillingSettings } from "@/features/settings/billing-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "Plan & billing" };

export default function Page() {
  return (
    <Suspense>
      <WithOrg page={BillingSettings} />
    </Suspense>
  );
}
