// Picking sessions, kept in chrome.storage.session because the service worker may sleep while someone picks.

import type { SelectionMode } from "../shared/picker";

interface SessionBase {
  id: string;
  mode: SelectionMode;
  /** The tab where the person picks; null until it is opened. */
  pickerTabId: number | null;
}

/** Started by the web app's editor: the result goes back to the requesting tab. */
export interface WebAppSession extends SessionBase {
  source: "web-app";
  requesterTabId: number;
  nonce: string;
  requestId: string;
  url: string;
}

/** Started from the popup: the result is kept as a draft bot for "Create a bot from this page". */
export interface PopupSession extends SessionBase {
  source: "popup";
}

export type Session = WebAppSession | PopupSession;

const KEY = "sessions";

async function all(): Promise<Record<string, Session>> {
  const stored = await chrome.storage.session.get(KEY);
  return (stored[KEY] as Record<string, Session> | undefined) ?? {};
}

export async function saveSession(session: Session): Promise<void> {
  await chrome.storage.session.set({ [KEY]: { ...(await all()), [session.id]: session } });
}

export async function getSession(id: string): Promise<Session | null> {
  return (await all())[id] ?? null;
}

export async function removeSession(id: string): Promise<void> {
  const rest = Object.entries(await all()).filter(([key]) => key !== id);
  await chrome.storage.session.set({ [KEY]: Object.fromEntries(rest) });
}

export async function sessionsWhere(test: (session: Session) => boolean): Promise<Session[]> {
  return Object.values(await all()).filter(test);
}
