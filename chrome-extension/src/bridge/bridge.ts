// The bridge on the web app's page: answers PING, forwards START_SELECTION, posts results back — one origin only.

import {
  bridgeMessage,
  parseBridgeEvent,
  type SelectionCancelledMessage,
  type SelectionResultMessage,
  type StartSelectionMessage,
} from "../shared/picker";

export interface BridgeOptions {
  window: Window;
  /** The configured web app origin; the bridge stays inert on any other page and ignores any other sender. */
  expectedOrigin: string;
  version: string;
  /** Hands a validated request to the service worker. */
  forward(request: StartSelectionMessage): void;
}

export interface Bridge {
  /** Posts a result to the page if it answers a request this page made (same nonce and request id). */
  deliver(message: SelectionResultMessage | SelectionCancelledMessage): boolean;
  dispose(): void;
}

const INERT: Bridge = { deliver: () => false, dispose: () => undefined };

export function installBridge(options: BridgeOptions): Bridge {
  const { window: win, expectedOrigin, version } = options;
  if (win.location.origin !== expectedOrigin) return INERT;
  win.document.documentElement.dataset.scrapeflowExtension = version;
  // nonce → request id of the picks this page asked for; results for anything else are dropped.
  const pending = new Map<string, string>();
  const post = (message: object) => win.postMessage(message, expectedOrigin);

  const onMessage = (event: MessageEvent) => {
    // Only the page itself: frames it embeds (even same-origin ones) post from another window.
    if (event.source !== win) return;
    const message = parseBridgeEvent(event, { expectedOrigin });
    if (!message) return;
    if (message.type === "PING") {
      post(bridgeMessage({ type: "EXTENSION_PRESENT", nonce: message.nonce, extensionVersion: version }));
    } else if (message.type === "START_SELECTION") {
      pending.set(message.nonce, message.requestId);
      options.forward(message);
    }
  };
  win.addEventListener("message", onMessage);

  return {
    deliver(message) {
      if (pending.get(message.nonce) !== message.requestId) return false;
      pending.delete(message.nonce);
      post(message);
      return true;
    },
    dispose() {
      win.removeEventListener("message", onMessage);
      delete win.document.documentElement.dataset.scrapeflowExtension;
    },
  };
}
