/** "Pick element": asks the ScrapeFlow Chrome extension when it is installed, else opens the in-app picker. */
import { requestInAppPick } from "./picker-store";

export type PickMode = "single" | "list";

export interface PickRequest {
  url: string;
  mode: PickMode;
}

export interface PickedField {
  name: string;
  selector: string;
  attribute?: string | null;
}

export interface PickResult {
  css: string;
  xpath: string;
  count: number;
  sample: string;
  fields?: PickedField[];
}

/** How long a selection in the extension may take before the request is dropped. */
const EXTENSION_TIMEOUT_MS = 10 * 60 * 1000;

function extensionInstalled(): boolean {
  return typeof document !== "undefined" && Boolean(document.documentElement.dataset.scrapeflowExtension);
}

function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The extension answers `SELECTION_RESULT` (or `SELECTION_CANCELLED`) with the nonce it was given, so a page
 * script cannot slip an answer into a request it did not see. */
function askExtension(request: PickRequest): Promise<PickResult | null> {
  const nonce = newNonce();
  return new Promise((resolve) => {
    const finish = (result: PickResult | null) => {
      window.removeEventListener("message", onMessage);
      clearTimeout(timer);
      resolve(result);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window || event.origin !== window.location.origin) return;
      const message = event.data as { type?: string; nonce?: string; result?: PickResult } | null;
      if (!message || message.nonce !== nonce) return;
      if (message.type === "SELECTION_RESULT" && message.result) finish(message.result);
      else if (message.type === "SELECTION_CANCELLED") finish(null);
    };
    const timer = setTimeout(() => finish(null), EXTENSION_TIMEOUT_MS);
    window.addEventListener("message", onMessage);
    window.postMessage(
      { type: "START_SELECTION", nonce, url: request.url, mode: request.mode },
      window.location.origin,
    );
  });
}

export function pickElement(request: PickRequest): Promise<PickResult | null> {
  return extensionInstalled() ? askExtension(request) : requestInAppPick(request);
}
