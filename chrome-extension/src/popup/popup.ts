// The toolbar popup: account state, picking on the current page, and turning the picks into a bot.

import { WEB_URL } from "../config";
import { DRAFT_KEY, editorUrl, type Draft } from "../shared/draft";
import type { SelectionMode } from "../shared/picker";
import type { BackgroundMessage } from "../shared/runtime";
import { loadAccount, type Account } from "./account";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`popup.html lacks #${id}`);
  return element as T;
}

function showError(message: string | null): void {
  const error = byId("error");
  error.hidden = message === null;
  error.textContent = message ?? "";
}

function renderAccount(account: Account): void {
  const line = byId("account");
  line.replaceChildren();
  if (account.state === "signed-in") {
    line.textContent = `Signed in as ${account.name || account.email}`;
    line.title = account.email;
    return;
  }
  const link = document.createElement("a");
  link.href = `${WEB_URL}/login`;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = "Open ScrapeFlow to sign in";
  line.append(account.state === "signed-out" ? "Not signed in. " : `Can't reach ${WEB_URL}. `, link);
}

async function activeTab(): Promise<chrome.tabs.Tab | null> {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}

function isWebPage(url: string | undefined): url is string {
  return !!url && /^https?:\/\//.test(url);
}

async function loadDraft(): Promise<Draft | null> {
  const stored = await chrome.storage.local.get(DRAFT_KEY);
  return (stored[DRAFT_KEY] as Draft | undefined) ?? null;
}

async function saveDraft(draft: Draft | null): Promise<void> {
  if (draft) await chrome.storage.local.set({ [DRAFT_KEY]: draft });
  else await chrome.storage.local.remove(DRAFT_KEY);
}

function renderDraft(draft: Draft | null, pageUrl: string | null): void {
  const section = byId("draft");
  section.hidden = !draft || draft.fields.length === 0;
  if (!draft) return;
  const host = new URL(draft.startUrl).host;
  const kind =
    draft.mode === "list" ? `a list${draft.itemSelector ? ` (items: ${draft.itemSelector})` : ""}` : "";
  byId("draft-summary").textContent =
    draft.startUrl === pageUrl
      ? `From this page${kind ? `, ${kind}` : ""}.`
      : `Picked on ${host}. Picking on this page starts a new bot.`;
  const list = byId<HTMLOListElement>("fields");
  list.replaceChildren(
    ...draft.fields.map((field, index) => {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.value = field.name;
      input.maxLength = 60;
      input.addEventListener("change", () => {
        const name = input.value.trim() || field.name;
        input.value = name;
        draft.fields[index] = { ...field, name };
        saveDraft(draft).catch(() => showError("Could not save the field name."));
      });
      label.append(`Field ${index + 1} name`, input);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${field.name}`);
      remove.addEventListener("click", () => {
        const next = { ...draft, fields: draft.fields.filter((_, i) => i !== index) };
        saveDraft(next.fields.length ? next : null)
          .then(() => renderDraft(next.fields.length ? next : null, pageUrl))
          .catch(() => showError("Could not remove the field."));
      });
      const selector = document.createElement("code");
      selector.textContent = field.attribute ? `${field.selector} @${field.attribute}` : field.selector;
      const sample = document.createElement("span");
      sample.className = "sample";
      sample.textContent = field.sample ? `“${field.sample}”` : "(empty on this page)";
      item.append(label, remove, selector, sample);
      return item;
    }),
  );
}

async function startPick(tab: chrome.tabs.Tab, mode: SelectionMode): Promise<void> {
  if (tab.id === undefined) return;
  const message: BackgroundMessage = { kind: "popup:pick", tabId: tab.id, mode };
  await chrome.runtime.sendMessage(message);
  // The popup would cover the page and closes on the first click anyway.
  window.close();
}

async function main(): Promise<void> {
  loadAccount(WEB_URL).then(renderAccount, () => renderAccount({ state: "unreachable" }));
  const tab = await activeTab();
  const pageUrl = tab && isWebPage(tab.url) ? tab.url : null;
  byId("page").textContent = pageUrl
    ? new URL(pageUrl).host
    : "Open a web page (http or https) to pick on it.";
  for (const [id, mode] of [
    ["pick-single", "single"],
    ["pick-list", "list"],
  ] as const) {
    const button = byId<HTMLButtonElement>(id);
    button.disabled = !pageUrl;
    button.addEventListener("click", () => {
      if (tab) startPick(tab, mode).catch(() => showError("This page does not allow extensions to run."));
    });
  }
  renderDraft(await loadDraft(), pageUrl);
  byId("create-bot").addEventListener("click", () => {
    loadDraft()
      .then((draft) => {
        if (!draft || draft.fields.length === 0) return showError("Pick at least one field first.");
        return chrome.tabs.create({ url: editorUrl(WEB_URL, draft) }).then(() => window.close());
      })
      .catch(() => showError("Could not open the editor."));
  });
  byId("clear").addEventListener("click", () => {
    saveDraft(null)
      .then(() => renderDraft(null, pageUrl))
      .catch(() => showError("Could not clear the fields."));
  });
}

main().catch(() => showError("The popup could not start. Reload the extension and try again."));
