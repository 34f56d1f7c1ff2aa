"use client";

/** The editor's layout and glue: header, palette, canvas, side panel (step settings or checklist), results. */
import { useCallback, useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import type { Bot } from "@/hooks/queries/bots";

import { EditorCanvas } from "./canvas/editor-canvas";
import { useEditorShortcuts } from "./canvas/use-shortcuts";
import { EditorHeader } from "./header/editor-header";
import { ShortcutsDialog } from "./header/shortcuts-dialog";
import { Palette } from "./palette/palette";
import { Checklist } from "./panel/checklist";
import { PropertyPanel } from "./panel/property-panel";
import { PickerDialog } from "./picker/picker-dialog";
import { ResultsDrawer } from "./run/results-drawer";
import { RunProgress } from "./run/run-progress";
import { useEditorStore } from "./store/editor-store";
import { templateDocument } from "./templates";
import type { NewBot } from "./templates/from-picks";
import type { NodeTypeInfo } from "./types";
import { useBotActions } from "./use-bot-actions";
import { useUnsavedGuard } from "./use-unsaved-guard";
import { useLiveValidation } from "./use-validation";

function useStartUrl(): [string, (url: string) => void] {
  const url = useEditorStore((state) => {
    const urls = state.nodes.find((node) => node.data.kind === "start")?.data.values.urls;
    return Array.isArray(urls) && urls.length ? String(urls[0]) : "";
  });
  const setUrl = useCallback((next: string) => {
    const store = useEditorStore.getState();
    const start = store.nodes.find((node) => node.data.kind === "start");
    if (!start) return;
    const urls = Array.isArray(start.data.values.urls) ? [...start.data.values.urls] : [];
    if (next) urls[0] = next;
    else urls.shift();
    store.updateValues(start.id, { ...start.data.values, urls });
  }, []);
  return [url, setUrl];
}

interface WorkspaceProps {
  types: NodeTypeInfo[];
  bot: Bot | undefined;
  /** What a new bot starts from (a template, or what was picked on a page); a blank bot when null. */
  start: NewBot | null;
}

export function Workspace({ types, bot, start }: WorkspaceProps) {
  const [savedName, setSavedName] = useState(bot?.name ?? "");
  const [name, setName] = useState(bot?.name ?? start?.botName ?? "Untitled bot");
  const [help, setHelp] = useState(false);
  const [startUrl, setStartUrl] = useState("");
  const [currentUrl, setCurrentUrl] = useStartUrl();
  const selectedId = useEditorStore((state) => {
    const selected = state.nodes.filter((node) => node.selected);
    return selected.length === 1 ? selected[0].id : null;
  });
  const changed = useEditorStore((state) => state.revision !== state.savedRevision);
  const issueCount = useEditorStore((state) => state.issues.length);
  const firstIssue = useEditorStore((state) => state.issues[0]?.message);
  const dirty = changed || name !== savedName || !bot;

  useEffect(() => {
    const store = useEditorStore.getState();
    store.setCatalogue(types);
    store.load(bot?.workflow_json ?? start?.document ?? templateDocument(null));
  }, [types, bot, start]);

  const { checking, failure } = useLiveValidation();
  const actions = useBotActions(bot, { name, startUrl: currentUrl }, (saved) => setSavedName(saved.name));
  useUnsavedGuard(dirty);

  const saveProblem = !name.trim()
    ? "Give the bot a name."
    : issueCount
      ? `Fix ${issueCount} problem${issueCount === 1 ? "" : "s"} first: ${firstIssue}`
      : failure;
  const runProblem = !bot
    ? "Save the bot before running it."
    : dirty
      ? "Save your changes before running."
      : null;
  const onSave = useCallback(() => {
    if (!saveProblem && !actions.saving) void actions.save();
  }, [saveProblem, actions]);
  const onHelp = useCallback(() => setHelp(true), []);
  useEditorShortcuts({ onSave, onHelp });

  return (
    <div className="flex h-dvh flex-col overflow-hidden">
      <EditorHeader
        backHref={bot ? `/bots/${bot.id}` : "/bots"}
        name={name}
        onNameChange={setName}
        startUrl={startUrl || currentUrl}
        onStartUrlChange={(url) => {
          setStartUrl(url);
          setCurrentUrl(url);
        }}
        saveProblem={saveProblem}
        saving={actions.saving}
        onSave={onSave}
        testing={actions.testing}
        onTest={() => void actions.test(dirty)}
        runProblem={runProblem}
        running={actions.running}
        onRun={() => void actions.run()}
        onHelp={onHelp}
        dirty={dirty}
      />
      {actions.problem ? (
        <div
          role="alert"
          className="flex items-center gap-3 border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900"
        >
          {actions.problem}
          <Button variant="ghost" size="sm" className="ml-auto" onClick={actions.dismissProblem}>
            Dismiss
          </Button>
        </div>
      ) : null}
      <div className="flex min-h-0 flex-1">
        <aside className="hidden w-60 shrink-0 border-r border-border bg-muted/20 md:block">
          <Palette types={types} />
        </aside>
        <main className="flex min-w-0 flex-1 flex-col">
          <div className="min-h-0 flex-1">
            <EditorCanvas />
          </div>
          {actions.result ? <ResultsDrawer run={actions.result} onClose={actions.closeResult} /> : null}
          {actions.executionId ? (
            <RunProgress
              key={actions.executionId}
              executionId={actions.executionId}
              onClose={actions.closeExecution}
            />
          ) : null}
        </main>
        <aside aria-label="Settings" className="w-80 shrink-0 overflow-y-auto border-l border-border lg:w-96">
          {selectedId ? (
            <PropertyPanel key={selectedId} nodeId={selectedId} pageUrl={currentUrl} />
          ) : (
            <Checklist checking={checking} />
          )}
        </aside>
      </div>
      <PickerDialog />
      <ShortcutsDialog open={help} onOpenChange={setHelp} />
      <Dialog open={actions.conflict} onOpenChange={(open) => (open ? undefined : actions.dismissConflict())}>
        <DialogContent
          title="Someone else saved this bot"
          description="A newer version was saved since you opened the editor. Reload to see it (your changes here are lost), or save yours as the newest version."
        >
          <div className="flex justify-end gap-2">
            <Button variant="outline" onClick={() => window.location.reload()}>
              Reload their version
            </Button>
            <Button onClick={() => void actions.save(true)}>Save mine anyway</Button>
          </div>
        </DialogContent>
      </Dialog>
    </div>
  );
}
