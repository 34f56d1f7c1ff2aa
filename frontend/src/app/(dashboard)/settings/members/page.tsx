import type { Metadata } from "next";

import { MembersSettings } from "@/features/settings/members-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "Members" };

export default function Page() {
  return <WithOrg page={MembersSettings} />;
}
