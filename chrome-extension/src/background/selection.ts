// A pick from start to finish: permission, the page's tab, the injected picker, and where the result goes.

import { originPattern } from "../manifest";
import { addPick, DRAFT_KEY, type Draft, type PagePick } from "../shared/draft";
import {
  bridgeMessage,
  randomToken,
  type SelectionCancelledMessage,
  type SelectionMode,
  type SelectionResultMessage,
  type StartSelectionMessage,
} from "../shared/picker";
import type { BridgeDelivery, CancelReason, PickerCommand } from "../shared/runtime";
import {
  getSession,
  removeSession,
  saveSession,
  sessionsWhere,
  type Session,
  type WebAppSession,
} from "./sessions";
import { focusTab, openOrFocus, waitForLoad } from "./tabs";

type Request = Pick<StartSelectionMessage, "nonce" | "requestId" | "url" | "mode">;

function pagePattern(url: string): string {
  return originPattern(new URL(new URL(url).origin));
}

async function deliver(
  session: WebAppSession,
  message: SelectionResultMessage | SelectionCancelledMessage,
): Promise<void> {
  const delivery: BridgeDelivery = { kind: "bridge:deliver", message };
  try {
    await chrome.tabs.sendMessage(session.requesterTabId, delivery);
    await focusTab(session.requesterTabId);
  } catch {
    // The editor's tab was closed or left the web app: nobody is waiting for this pick any more.
  }
}

async function cancel(session: Session, reason: CancelReason): Promise<void> {
  await removeSession(session.id);
  if (session.source !== "web-app") return;
  await deliver(
    session,
    bridgeMessage({
      type: "SELECTION_CANCELLED",
      nonce: session.nonce,
      requestId: session.requestId,
      reason,
    }),
  );
}

async function inject(tabId: number, sessionId: string, mode: SelectionMode): Promise<void> {
  await chrome.scripting.executeScript({ target: { tabId }, files: ["picker.js"] });
  const command: PickerCommand = { kind: "picker:start", sessionId, mode };
  await chrome.tabs.sendMessage(tabId, command);
}

async function openAndPick(session: WebAppSession): Promise<void> {
  try {
    const tabId = await openOrFocus(session.url, session.requesterTabId);
    await saveSession({ ...session, pickerTabId: tabId });
    await waitForLoad(tabId);
    await inject(tabId, session.id, session.mode);
  } catch {
    await cancel(session, "error");
  }
}

/** The editor asked for a pick on `request.url`; its tab gets the answer. */
export async function startFromWebApp(request: Request, requesterTabId: number): Promise<void> {
  // One pick per editor tab: a newer request replaces an older one.
  for (const old of await sessionsWhere(
    (s) => s.source === "web-app" && s.requesterTabId === requesterTabId,
  )) {
    await stopPicker(old);
    await cancel(old, "user");
  }
  const session: WebAppSession = {
    source: "web-app",
    id: randomToken(),
    mode: request.mode,
    pickerTabId: null,
    requesterTabId,
    nonce: request.nonce,
    requestId: request.requestId,
    url: request.url,
  };
  await saveSession(session);
  if (await chrome.permissions.contains({ origins: [pagePattern(request.url)] })) {
    await openAndPick(session);
    return;
  }
  // Host access is asked for at use, and only an extension page the person clicks may ask.
  const query = new URLSearchParams({ session: session.id, origin: new URL(request.url).origin });
  const page = chrome.runtime.getURL(`grant.html?${query}`);
  await chrome.windows.create({ url: page, type: "popup", width: 460, height: 340, focused: true });
}

/** The permission page's answer. */
export async function onGrant(sessionId: string, granted: boolean): Promise<void> {
  const session = await getSession(sessionId);
  if (!session || session.source !== "web-app" || session.pickerTabId !== null) return;
  if (granted) await openAndPick(session);
  else await cancel(session, "user");
}

/** "Pick elements on this page" in the popup: activeTab already gives access to that tab. */
export async function startFromPopup(tabId: number, mode: SelectionMode): Promise<void> {
  for (const old of await sessionsWhere((s) => s.pickerTabId === tabId)) {
    await stopPicker(old);
    await cancel(old, "user");
  }
  const session: Session = { source: "popup", id: randomToken(), mode, pickerTabId: tabId };
  await saveSession(session);
  try {
    await inject(tabId, session.id, mode);
  } catch {
    await removeSession(session.id);
  }
}

export async function onResult(
  sessionId: string,
  tabId: number,
  url: string,
  result: PagePick,
): Promise<void> {
  const session = await getSession(sessionId);
  if (!session || session.pickerTabId !== tabId) return;
  await removeSession(session.id);
  if (session.source === "web-app") {
    const message = bridgeMessage({
      type: "SELECTION_RESULT",
      nonce: session.nonce,
      requestId: session.requestId,
      url,
      result,
    });
    await deliver(session, message);
    return;
  }
  const stored = await chrome.storage.local.get(DRAFT_KEY);
  const draft = addPick((stored[DRAFT_KEY] as Draft | undefined) ?? null, url, session.mode, result);
  await chrome.storage.local.set({ [DRAFT_KEY]: draft });
}

export async function onCancelled(sessionId: string, tabId: number, reason: CancelReason): Promise<void> {
  const session = await getSession(sessionId);
  if (session && session.pickerTabId === tabId) await cancel(session, reason);
}

async function stopPicker(session: Session): Promise<void> {
  if (session.pickerTabId === null) return;
  const command: PickerCommand = { kind: "picker:stop", sessionId: session.id };
  await chrome.tabs.sendMessage(session.pickerTabId, command).catch(() => undefined);
}

/** A closed tab ends the picks it was part of, on either side. */
export async function onTabClosed(tabId: number): Promise<void> {
  for (const session of await sessionsWhere((s) => s.pickerTabId === tabId))
    await cancel(session, "tab-closed");
  const waiting = await sessionsWhere((s) => s.source === "web-app" && s.requesterTabId === tabId);
  for (const session of waiting) {
    await removeSession(session.id);
    await stopPicker(session);
  }
}
