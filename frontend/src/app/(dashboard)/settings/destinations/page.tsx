import type { Metadata } from "next";

import { DestinationsSettings } from "@/features/settings/destinations/destinations-settings";
import { WithOrg } from "@/features/settings/settings-page";

export const metadata: Metadata = { title: "Destinations" };

export default function Page() {
  return <WithOrg page={DestinationsSettings} />;
}
