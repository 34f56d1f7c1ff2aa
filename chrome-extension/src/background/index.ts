// The service worker: routes messages between the web app's bridge, the picker, the popup and the grant page.

import { WEB_ORIGIN } from "../config";
import { asBackgroundMessage, type BackgroundMessage } from "../shared/runtime";
import { onCancelled, onGrant, onResult, onTabClosed, startFromPopup, startFromWebApp } from "./selection";

const EXTENSION_ORIGIN = new URL(chrome.runtime.getURL("")).origin;

function originOf(url: string | undefined): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}

/** Each message is only taken from the part of the extension that may send it. */
function handle(message: BackgroundMessage, sender: chrome.runtime.MessageSender): Promise<void> | null {
  const tabId = sender.tab?.id;
  const from = originOf(sender.url);
  switch (message.kind) {
    case "selection:start":
      // The bridge runs only in the web app's top frame; anything else asking is not the editor.
      if (tabId === undefined || sender.frameId !== 0 || from !== WEB_ORIGIN) return null;
      return startFromWebApp(message.request, tabId);
    case "picker:result":
      return tabId === undefined ? null : onResult(message.sessionId, tabId, message.url, message.result);
    case "picker:cancelled":
      return tabId === undefined ? null : onCancelled(message.sessionId, tabId, message.reason);
    case "popup:pick":
      return from === EXTENSION_ORIGIN ? startFromPopup(message.tabId, message.mode) : null;
    case "grant:done":
      return from === EXTENSION_ORIGIN ? onGrant(message.sessionId, message.granted) : null;
  }
}

chrome.runtime.onMessage.addListener((raw: unknown, sender) => {
  if (sender.id !== chrome.runtime.id) return;
  const message = asBackgroundMessage(raw);
  const work = message && handle(message, sender);
  work?.catch((error: unknown) => console.error("ScrapeFlow:", error));
});

chrome.tabs.onRemoved.addListener((tabId) => {
  onTabClosed(tabId).catch((error: unknown) => console.error("ScrapeFlow:", error));
});
