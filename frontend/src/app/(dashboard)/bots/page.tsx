import type { Metadata } from "next";

import { BotsList } from "@/features/bots/bots-list";

export const metadata: Metadata = { title: "Bots" };

export default function BotsPage() {
  return <BotsList />;
}
