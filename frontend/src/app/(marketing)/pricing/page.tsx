import type { Metadata } from "next";

import { Pricing } from "@/features/marketing/pricing";

export const metadata: Metadata = {
  title: "Pricing",
  description: "ScrapeFlow's plans: what each includes and costs, monthly or yearly.",
};

export default function PricingPage() {
  return <Pricing />;
}
