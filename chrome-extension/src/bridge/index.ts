// Content script on the web app's page: connects the page's bridge messages to the service worker.

import { EXTENSION_VERSION, WEB_ORIGIN } from "../config";
import { isBridgeDelivery, type BackgroundMessage } from "../shared/runtime";
import { installBridge } from "./bridge";

const bridge = installBridge({
  window,
  expectedOrigin: WEB_ORIGIN,
  version: EXTENSION_VERSION,
  forward(request) {
    const message: BackgroundMessage = {
      kind: "selection:start",
      request: { nonce: request.nonce, requestId: request.requestId, url: request.url, mode: request.mode },
    };
    chrome.runtime.sendMessage(message).catch(() => {
      // The service worker is restarting; the web app times out and offers to try again.
    });
  },
});

chrome.runtime.onMessage.addListener((message: unknown, sender) => {
  // Only the service worker (no tab) of this extension delivers results.
  if (sender.id !== chrome.runtime.id || sender.tab || !isBridgeDelivery(message)) return;
  bridge.deliver(message.message);
});
