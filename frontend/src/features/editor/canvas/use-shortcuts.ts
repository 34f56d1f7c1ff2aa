/** Editor keyboard shortcuts on the whole page, except while typing in a field. */
import { useEffect } from "react";

import { useEditorStore } from "../store/editor-store";

export const SHORTCUTS: [string, string][] = [
  ["Ctrl/⌘ + Z", "Undo"],
  ["Ctrl/⌘ + Shift + Z, Ctrl + Y", "Redo"],
  ["Ctrl/⌘ + C", "Copy the selected steps"],
  ["Ctrl/⌘ + V", "Paste"],
  ["Delete, Backspace", "Delete the selected steps or connections"],
  ["Shift + drag", "Select several steps with a box"],
  ["Ctrl/⌘ + click", "Add a step to the selection"],
  ["Ctrl/⌘ + S", "Save"],
  ["?", "Show these shortcuts"],
];

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function useEditorShortcuts({ onSave, onHelp }: { onSave: () => void; onHelp: () => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === "s") {
        event.preventDefault();
        onSave();
        return;
      }
      if (typing(event.target) || document.querySelector("[role=dialog]")) return;
      const store = useEditorStore.getState();
      if (mod && key === "z") {
        event.preventDefault();
        if (event.shiftKey) store.redo();
        else store.undo();
      } else if (mod && key === "y") {
        event.preventDefault();
        store.redo();
      } else if (mod && key === "c") {
        store.copy();
      } else if (mod && key === "v") {
        event.preventDefault();
        store.paste();
      } else if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        store.removeSelected();
      } else if (event.key === "?") {
        onHelp();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onSave, onHelp]);
}
