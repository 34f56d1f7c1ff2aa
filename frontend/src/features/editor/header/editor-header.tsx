"use client";

/** The editor's top bar: back to the bot, its name and start URL, history and layout tools, Test run, Run now, Save. */
import Link from "next/link";
import { ArrowLeft, FlaskConical, Keyboard, LayoutGrid, Play, Redo2, Save, Undo2 } from "lucide-react";
import { useId } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";

import { useEditorStore } from "../store/editor-store";

interface EditorHeaderProps {
  backHref: string;
  name: string;
  onNameChange: (name: string) => void;
  startUrl: string;
  onStartUrlChange: (url: string) => void;
  saveProblem: string | null;
  saving: boolean;
  onSave: () => void;
  testing: boolean;
  onTest: () => void;
  runProblem: string | null;
  running: boolean;
  onRun: () => void;
  onHelp: () => void;
  dirty: boolean;
}

function Labelled({ label, children }: { label: string; children: (id: string) => React.ReactNode }) {
  const id = useId();
  return (
    <div className="grid min-w-0 gap-0.5">
      <label htmlFor={id} className="text-[11px] font-medium text-muted-foreground">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

export function EditorHeader(props: EditorHeaderProps) {
  const canUndo = useEditorStore((state) => state.past.length > 0);
  const canRedo = useEditorStore((state) => state.future.length > 0);
  const saveReasonId = useId();
  const runReasonId = useId();
  return (
    <header className="flex flex-wrap items-end gap-3 border-b border-border bg-background px-3 py-2">
      <Button asChild variant="ghost" size="icon" className="self-center">
        <Link href={props.backHref} aria-label="Back to the bot">
          <ArrowLeft aria-hidden />
        </Link>
      </Button>
      <Labelled label="Bot name">
        {(id) => (
          <Input
            id={id}
            className="h-8 w-48"
            value={props.name}
            maxLength={200}
            onChange={(e) => props.onNameChange(e.target.value)}
          />
        )}
      </Labelled>
      <Labelled label="Start URL">
        {(id) => (
          <Input
            id={id}
            type="url"
            className="h-8 w-72 font-mono text-xs"
            value={props.startUrl}
            placeholder="https://example.com/products"
            onChange={(e) => props.onStartUrlChange(e.target.value)}
          />
        )}
      </Labelled>
      <div className="flex items-center gap-1 self-center">
        <Button
          variant="ghost"
          size="icon"
          aria-label="Undo"
          title="Undo (Ctrl+Z)"
          disabled={!canUndo}
          onClick={() => useEditorStore.getState().undo()}
        >
          <Undo2 aria-hidden />
        </Button>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Redo"
          title="Redo (Ctrl+Shift+Z)"
          disabled={!canRedo}
          onClick={() => useEditorStore.getState().redo()}
        >
          <Redo2 aria-hidden />
        </Button>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Tidy up the layout"
          title="Tidy up the layout"
          onClick={() => useEditorStore.getState().autoLayout()}
        >
          <LayoutGrid aria-hidden />
        </Button>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
          onClick={props.onHelp}
        >
          <Keyboard aria-hidden />
        </Button>
      </div>
      <div className="ml-auto flex items-center gap-2 self-center">
        {props.dirty ? <span className="text-xs text-muted-foreground">Unsaved changes</span> : null}
        <Button variant="outline" size="sm" disabled={props.testing} onClick={props.onTest}>
          <FlaskConical aria-hidden /> {props.testing ? "Testing…" : "Test run"}
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={Boolean(props.runProblem) || props.running}
          aria-describedby={props.runProblem ? runReasonId : undefined}
          title={props.runProblem ?? undefined}
          onClick={props.onRun}
        >
          <Play aria-hidden /> Run now
        </Button>
        <Button
          size="sm"
          disabled={Boolean(props.saveProblem) || props.saving}
          aria-describedby={props.saveProblem ? saveReasonId : undefined}
          title={props.saveProblem ?? undefined}
          onClick={props.onSave}
        >
          <Save aria-hidden /> {props.saving ? "Saving…" : "Save"}
        </Button>
        <span id={saveReasonId} className="sr-only">
          {props.saveProblem}
        </span>
        <span id={runReasonId} className="sr-only">
          {props.runProblem}
        </span>
      </div>
    </header>
  );
}
