/** Save (create on first save, then new versions with conflict detection), Test run and Run now. */
import { useRouter } from "next/navigation";
import { useState } from "react";

import { useCreateBot, useUpdateBot, type Bot } from "@/hooks/queries/bots";
import { useExecuteBot, useTestRun } from "@/hooks/queries/workflow";
import { errorMessage } from "@/lib/api/client";

import { currentDocument, useEditorStore } from "./store/editor-store";
import type { TestRun } from "./types";

interface Draft {
  name: string;
  startUrl: string;
}

function isConflict(error: unknown): boolean {
  return Boolean(
    error &&
    typeof error === "object" &&
    (error as { error?: { code?: string } }).error?.code === "version_conflict",
  );
}

export function useBotActions(bot: Bot | undefined, draft: Draft, onSaved: (bot: Bot) => void) {
  const router = useRouter();
  const create = useCreateBot();
  const update = useUpdateBot(bot?.id ?? "");
  const testRun = useTestRun();
  const execute = useExecuteBot(bot?.id);
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [result, setResult] = useState<TestRun | null>(null);
  const [executionId, setExecutionId] = useState<string | null>(null);

  const save = async (overwrite = false) => {
    setProblem(null);
    const revision = useEditorStore.getState().revision;
    const workflow = currentDocument() as unknown as Record<string, unknown>;
    const body = { name: draft.name.trim(), start_url: draft.startUrl || null, workflow_json: workflow };
    try {
      if (!bot) {
        const created = await create.mutateAsync({ ...body, description: "", review_before_export: false });
        useEditorStore.setState({ savedRevision: revision });
        onSaved(created);
        router.replace(`/editor/${created.id}`);
        return;
      }
      const saved = await update.mutateAsync({
        ...body,
        base_version: overwrite ? null : bot.version,
        message: overwrite ? "Saved over a newer version" : "Saved in the editor",
      });
      useEditorStore.setState({ savedRevision: revision });
      setConflict(false);
      onSaved(saved);
    } catch (error) {
      if (isConflict(error)) setConflict(true);
      else setProblem(errorMessage(error));
    }
  };

  const test = async (dirty: boolean) => {
    setProblem(null);
    try {
      const run = await testRun.mutateAsync(
        bot && !dirty
          ? { botId: bot.id }
          : { workflow: currentDocument() as unknown as Record<string, unknown> },
      );
      useEditorStore.getState().setRuns(run.nodes ?? []);
      setResult(run);
    } catch (error) {
      setProblem(errorMessage(error));
    }
  };

  const run = async () => {
    setProblem(null);
    try {
      setExecutionId((await execute.mutateAsync()).id);
    } catch (error) {
      setProblem(errorMessage(error));
    }
  };

  return {
    save,
    saving: create.isPending || update.isPending,
    test,
    testing: testRun.isPending,
    run,
    running: execute.isPending,
    problem,
    dismissProblem: () => setProblem(null),
    conflict,
    dismissConflict: () => setConflict(false),
    result,
    closeResult: () => {
      setResult(null);
      useEditorStore.getState().setRuns([]);
    },
    executionId,
    closeExecution: () => setExecutionId(null),
  };
}
