"use client";

/** The bot editor screen: loads the node catalogue and the bot (or a template for a new bot), then the workspace. */
import { ReactFlowProvider } from "@xyflow/react";
import { useState } from "react";
import "@xyflow/react/dist/style.css";

import { ErrorState, Loading } from "@/components/ui/states";
import { useBot } from "@/hooks/queries/bots";
import { useNodeTypes } from "@/hooks/queries/workflow";

import { isTemplateName, templateDocument, templateInfo } from "./templates";
import { pickedBot, type NewBot, type PickedStart } from "./templates/from-picks";
import { Workspace } from "./workspace";

export interface NewBotParams extends PickedStart {
  template?: string;
}

/** A new bot's starting point: a named template, else what was picked on a page, else blank. */
function newBot(params: NewBotParams): NewBot | null {
  if (isTemplateName(params.template)) {
    return { botName: templateInfo(params.template).botName, document: templateDocument(params.template) };
  }
  return pickedBot(params);
}

export function BotEditor({ botId, params }: { botId: string | null; params: NewBotParams }) {
  const types = useNodeTypes();
  // Parsed once: the workspace reloads its document whenever `start` changes identity.
  const [start] = useState(() => newBot(params));
  const bot = useBot(botId ?? undefined);
  const failed = types.error ?? (botId ? bot.error : null);
  if (failed) {
    return (
      <div className="mx-auto w-full max-w-xl p-10">
        <ErrorState error={failed} onRetry={() => void (types.error ? types.refetch() : bot.refetch())} />
      </div>
    );
  }
  if (!types.data || (botId && !bot.data)) {
    return (
      <div className="mx-auto w-full max-w-xl p-10">
        <Loading label="Opening the editor…" />
      </div>
    );
  }
  return (
    <ReactFlowProvider>
      <Workspace
        key={bot.data?.id ?? "new"}
        types={types.data}
        bot={botId ? bot.data : undefined}
        start={botId ? null : start}
      />
    </ReactFlowProvider>
  );
}
