import type { Metadata } from "next";

import { ApiKeysSettings } from "@/features/settings/api-keys-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "API keys" };

export default function Page() {
  return <WithOrg page={ApiKeysSettings} />;
}
