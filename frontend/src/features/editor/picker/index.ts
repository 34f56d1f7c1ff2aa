/** "Pick element": asks the ScrapeFlow Chrome extension when it is installed, else opens the in-app picker. */
import {
  bridgeMessage,
  parseBridgeEvent,
  randomToken,
  type PickerResult,
  type SelectionMode,
} from "@/lib/picker";

import { requestInAppPick } from "./picker-store";

export type PickMode = SelectionMode;

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

/** The shared picker's answer in the editor's terms (a field reads an attribute when its sample came from one). */
export function toPickResult(result: PickerResult): PickResult {
  return {
    css: result.css,
    xpath: result.xpath,
    count: result.count,
    sample: result.sample.value,
    fields: result.fields.map((field) => ({
      name: field.name,
      selector: field.css,
      attribute: field.sample.attribute?.name ?? null,
    })),
  };
}

/** The extension answers `SELECTION_RESULT` (or `SELECTION_CANCELLED`) with the nonce and request id it was
 * given, from this page's own origin, so a page script cannot slip an answer into a request it did not see. */
function askExtension(request: PickRequest): Promise<PickResult | null> {
  const nonce = randomToken();
  const requestId = randomToken();
  const origin = window.location.origin;
  return new Promise((resolve) => {
    const finish = (result: PickResult | null) => {
      window.removeEventListener("message", onMessage);
      clearTimeout(timer);
      resolve(result);
    };
    const onMessage = (event: MessageEvent) => {
      const message = parseBridgeEvent(event, { expectedOrigin: origin, nonce });
      if (!message || !("requestId" in message) || message.requestId !== requestId) return;
      if (message.type === "SELECTION_RESULT") finish(toPickResult(message.result));
      else if (message.type === "SELECTION_CANCELLED") finish(null);
    };
    const timer = setTimeout(() => finish(null), EXTENSION_TIMEOUT_MS);
    window.addEventListener("message", onMessage);
    window.postMessage(
      bridgeMessage({ type: "START_SELECTION", nonce, requestId, url: request.url, mode: request.mode }),
      origin,
    );
  });
}

export function pickElement(request: PickRequest): Promise<PickResult | null> {
  return extensionInstalled() ? askExtension(request) : requestInAppPick(request);
}
