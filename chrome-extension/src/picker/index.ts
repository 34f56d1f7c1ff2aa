// Injected into the page being picked: runs the shared overlay and reports the selection to the service worker.

import type { PagePick } from "../shared/draft";
import { startPicker, type Picker } from "../shared/picker";
import { isPickerCommand, type BackgroundMessage, type CancelReason } from "../shared/runtime";

interface PickerState {
  sessionId: string;
  picker: Picker;
}

const GLOBAL = "__scrapeflowPicker";
type Scope = typeof globalThis & { [GLOBAL]?: { active: PickerState | null } };

function send(message: BackgroundMessage): void {
  chrome.runtime.sendMessage(message).catch(() => {
    // The extension was reloaded or updated; this page's script is orphaned and can only stop.
  });
}

function setUp(): { active: PickerState | null } {
  const state: { active: PickerState | null } = { active: null };
  const stop = (reason: CancelReason | null) => {
    const current = state.active;
    state.active = null;
    if (!current) return;
    current.picker.destroy();
    if (reason) send({ kind: "picker:cancelled", sessionId: current.sessionId, reason });
  };
  chrome.runtime.onMessage.addListener((message: unknown, sender) => {
    if (sender.id !== chrome.runtime.id || sender.tab || !isPickerCommand(message)) return;
    if (message.kind === "picker:stop") {
      if (state.active?.sessionId === message.sessionId) stop(null);
      return;
    }
    // A new pick replaces one still open in this tab, which the service worker already gave up on.
    stop(null);
    const { sessionId, mode } = message;
    try {
      const picker: Picker = startPicker({
        mode,
        onResult(result) {
          state.active = null;
          // The popup builds a bot from the list's item and field selectors, which the result leaves out.
          const list = picker.list?.current;
          const full: PagePick = list
            ? { ...result, itemCss: list.itemCss, fieldCss: list.fieldCss }
            : result;
          send({ kind: "picker:result", sessionId, url: location.href, result: full });
        },
        onCancel() {
          state.active = null;
          send({ kind: "picker:cancelled", sessionId, reason: "user" });
        },
      });
      state.active = { sessionId, picker };
    } catch {
      send({ kind: "picker:cancelled", sessionId, reason: "error" });
    }
  });
  // Leaving the page ends the pick: its elements are gone.
  addEventListener("pagehide", () => stop("navigation"));
  return state;
}

const scope = globalThis as Scope;
// executeScript may inject this file again into the same page; one listener is enough.
scope[GLOBAL] ??= setUp();
