import type { Metadata } from "next";

import { BotEditor, type NewBotParams } from "@/features/editor/editor";

export const metadata: Metadata = { title: "Bot editor" };

export default async function EditorPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  const one = (name: keyof NewBotParams) => (typeof query[name] === "string" ? query[name] : undefined);
  const start: NewBotParams = {
    template: one("template"),
    start_url: one("start_url"),
    fields: one("fields"),
    mode: one("mode"),
    item_selector: one("item_selector"),
  };
  return <BotEditor botId={id === "new" ? null : id} params={start} />;
}
