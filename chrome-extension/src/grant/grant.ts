// Asks for host access to one site: chrome.permissions.request only works from a click on an extension page.

import { originPattern } from "../manifest";
import type { BackgroundMessage } from "../shared/runtime";

const params = new URLSearchParams(location.search);
const sessionId = params.get("session") ?? "";
const origin = params.get("origin") ?? "";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`grant.html lacks #${id}`);
  return element as T;
}

let answered = false;

async function answer(granted: boolean): Promise<void> {
  answered = true;
  const message: BackgroundMessage = { kind: "grant:done", sessionId, granted };
  await chrome.runtime.sendMessage(message);
  window.close();
}

function patternOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? originPattern(new URL(url.origin)) : null;
  } catch {
    return null;
  }
}

const pattern = patternOf(origin);
byId("origin").textContent = pattern ? new URL(origin).host : "this site";
const allow = byId<HTMLButtonElement>("allow");
allow.disabled = !pattern;
allow.addEventListener("click", () => {
  if (!pattern) return;
  chrome.permissions
    .request({ origins: [pattern] })
    .then((granted) => answer(granted))
    .catch(() => {
      const error = byId("error");
      error.hidden = false;
      error.textContent = "The browser refused the request. Try again from the editor.";
    });
});
byId("deny").addEventListener("click", () => {
  answer(false).catch(() => window.close());
});
addEventListener("pagehide", () => {
  // Closing the window without answering counts as a no.
  if (answered) return;
  const message: BackgroundMessage = { kind: "grant:done", sessionId, granted: false };
  chrome.runtime.sendMessage(message).catch(() => undefined);
});
