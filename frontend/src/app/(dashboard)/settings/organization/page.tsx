import type { Metadata } from "next";

import { OrganizationSettings } from "@/features/settings/organization-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "Organization settings" };

export default function Page() {
  return <WithOrg page={OrganizationSettings} />;
}
