// The in-app picker inside the editor's sandboxed frame: the frame has an opaque origin (no `allow-same-origin`),
// so this script, loaded into the page the API made inert, runs the picker there and talks to the editor only
// through postMessage: previews while picking, the result on confirm, or a cancel.

import {
  FRAME_CANCEL,
  FRAME_CONFIRM,
  bridgeMessage,
  type PickerResult,
  type SelectionMode,
} from "./messages";
import { startPicker } from "./overlay";

function boot(script: HTMLScriptElement): void {
  const { mode, nonce, requestId, url, parentOrigin } = script.dataset;
  if (!nonce || !requestId || !url || !parentOrigin || (mode !== "single" && mode !== "list")) return;
  const send = (message: object) => window.parent.postMessage(message, parentOrigin);
  const envelope = { nonce, requestId, url };
  // Registered before the picker's own capture listeners, which stop the events they handle; read once the
  // picker has handled the click or key that changed the selection.
  const preview = () =>
    window.setTimeout(
      () => send(bridgeMessage({ type: "SELECTION_PREVIEW", ...envelope, result: picker.result() })),
      0,
    );
  window.addEventListener("click", preview, true);
  window.addEventListener("keydown", preview, true);
  const picker = startPicker({
    mode: mode as SelectionMode,
    onResult: (result: PickerResult) =>
      send(bridgeMessage({ type: "SELECTION_RESULT", ...envelope, result })),
    onCancel: () => send(bridgeMessage({ type: "SELECTION_CANCELLED", ...envelope, reason: "user" })),
  });
  window.addEventListener("message", (event: MessageEvent) => {
    if (event.source !== window.parent || event.origin !== parentOrigin) return;
    if (event.data === FRAME_CONFIRM) picker.confirm();
    else if (event.data === FRAME_CANCEL) picker.cancel();
  });
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement) boot(current);
