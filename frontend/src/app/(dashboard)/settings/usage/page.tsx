import type { Metadata } from "next";

import { UsageSettings } from "@/features/settings/usage-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "Usage" };

export default function Page() {
  return <WithOrg page={UsageSettings} />;
}
