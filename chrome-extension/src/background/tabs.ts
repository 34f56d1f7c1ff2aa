// Tab chores for a pick: open or reuse the page, wait for it to load, bring a tab to the front.

const LOAD_TIMEOUT_MS = 15_000;

function withoutHash(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = "";
    return parsed.href;
  } catch {
    return url;
  }
}

export async function focusTab(tabId: number): Promise<void> {
  const tab = await chrome.tabs.update(tabId, { active: true });
  if (tab?.windowId !== undefined) await chrome.windows.update(tab.windowId, { focused: true });
}

/** The tab already showing `url` (tab URLs are only visible where we have host access), else a new one. */
export async function openOrFocus(url: string, nextToTabId: number | null): Promise<number> {
  const wanted = withoutHash(url);
  const existing = (await chrome.tabs.query({})).find((tab) => tab.url && withoutHash(tab.url) === wanted);
  if (existing?.id !== undefined) {
    await focusTab(existing.id);
    return existing.id;
  }
  const near = nextToTabId === null ? null : await chrome.tabs.get(nextToTabId).catch(() => null);
  const created = await chrome.tabs.create({
    url,
    active: true,
    ...(near ? { windowId: near.windowId, index: near.index + 1 } : {}),
  });
  if (created.id === undefined) throw new Error("the browser did not open a tab");
  if (created.windowId !== undefined) await chrome.windows.update(created.windowId, { focused: true });
  return created.id;
}

/** Resolves once the tab has finished loading, or after a while: a page with a hung request can still be picked. */
export function waitForLoad(tabId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      chrome.tabs.onUpdated.removeListener(onUpdated);
      chrome.tabs.onRemoved.removeListener(onRemoved);
      if (error) reject(error);
      else resolve();
    };
    const onUpdated = (id: number, change: chrome.tabs.OnUpdatedInfo) => {
      if (id === tabId && change.status === "complete") done();
    };
    const onRemoved = (id: number) => {
      if (id === tabId) done(new Error("the tab was closed"));
    };
    const timer = setTimeout(() => done(), LOAD_TIMEOUT_MS);
    chrome.tabs.onUpdated.addListener(onUpdated);
    chrome.tabs.onRemoved.addListener(onRemoved);
    chrome.tabs.get(tabId).then(
      (tab) => {
        if (tab.status === "complete") done();
      },
      () => done(new Error("the tab was closed")),
    );
  });
}
