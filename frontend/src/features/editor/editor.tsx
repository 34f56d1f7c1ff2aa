"use client";

/** The bot editor screen: loads the node catalogue and the bot (or a template for a new bot), then the workspace. */
import { ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";

import { ErrorState, Loading } from "@/components/ui/states";
import { useBot } from "@/hooks/queries/bots";
import { useNodeTypes } from "@/hooks/queries/workflow";

import { isTemplateName } from "./templates";
import { Workspace } from "./workspace";

export function BotEditor({ botId, template }: { botId: string | null; template: string | null }) {
  const types = useNodeTypes();
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
        template={isTemplateName(template) ? template : null}
      />
    </ReactFlowProvider>
  );
}
