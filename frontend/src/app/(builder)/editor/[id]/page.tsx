import type { Metadata } from "next";

import { BotEditor } from "@/features/editor/editor";

export const metadata: Metadata = { title: "Bot editor" };

export default async function EditorPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ template?: string | string[] }>;
}) {
  const { id } = await params;
  const { template } = await searchParams;
  return (
    <BotEditor botId={id === "new" ? null : id} template={typeof template === "string" ? template : null} />
  );
}
