// The bot being drafted from the popup's picks, and the editor link that hands it to the web app.

import type { PickerResult, SelectionMode } from "./picker";

/** A pick as the page reports it: the overlay's result plus, for a list, its item and the field inside it. */
export type PagePick = PickerResult & { itemCss?: string; fieldCss?: string };

export interface DraftField {
  name: string;
  /** CSS; relative to `itemSelector` when the draft has one. */
  selector: string;
  /** Read this attribute instead of the text (a link's href, an image's src). */
  attribute?: string;
  /** What the field read on the page when it was picked. */
  sample: string;
}

export interface Draft {
  startUrl: string;
  mode: SelectionMode;
  /** The repeated item of a list; fields are relative to it. */
  itemSelector?: string;
  fields: DraftField[];
}

/** Where the popup's draft lives in chrome.storage.local. */
export const DRAFT_KEY = "draft";

const MAX_FIELDS = 50;

function attributeOf(sample: PickerResult["sample"]): string | undefined {
  // Only when the attribute is the value itself (a link's text is the value, its href is not).
  return sample.attribute && sample.value === sample.attribute.value ? sample.attribute.name : undefined;
}

function field(name: string, selector: string, sample: PickerResult["sample"]): DraftField {
  const attribute = attributeOf(sample);
  return { name, selector, ...(attribute ? { attribute } : {}), sample: sample.value };
}

function nextName(fields: DraftField[]): string {
  const taken = new Set(fields.map((entry) => entry.name));
  for (let index = fields.length + 1; ; index++) {
    if (!taken.has(`field_${index}`)) return `field_${index}`;
  }
}

/**
 * Adds one pick to the draft. A single element becomes one more field; a list replaces the draft with its
 * item and the fields picked inside it (or the picked element itself, relative to its item).
 */
export function addPick(draft: Draft | null, url: string, mode: SelectionMode, result: PagePick): Draft {
  const base: Draft = draft && draft.startUrl === url ? draft : { startUrl: url, mode: "single", fields: [] };
  if (mode === "single" || result.count <= 1) {
    // A list draft's fields are relative to its items; a page-wide field would not fit beside them.
    if (base.mode === "list") return base;
    const fields = [...base.fields, field(nextName(base.fields), result.css, result.sample)];
    return { ...base, fields: fields.slice(0, MAX_FIELDS) };
  }
  const { itemCss, fieldCss } = result;
  if (result.fields.length && itemCss) {
    const fields = result.fields.map((entry) => field(entry.name, entry.css, entry.sample));
    return { startUrl: url, mode: "list", itemSelector: itemCss, fields: fields.slice(0, MAX_FIELDS) };
  }
  if (itemCss && fieldCss) {
    return {
      startUrl: url,
      mode: "list",
      itemSelector: itemCss,
      fields: [field("field_1", fieldCss, result.sample)],
    };
  }
  // The picked element is the item itself: one page-wide field.
  return { startUrl: url, mode: "list", fields: [field("field_1", result.css, result.sample)] };
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * `<web>/editor/new?start_url=…&fields=…` where `fields` is base64url (no padding) of the UTF-8 JSON
 * `[{name, selector, attribute?}]`; `mode=list` and `item_selector` are added for a list.
 */
export function editorUrl(webUrl: string, draft: Draft): string {
  const url = new URL("/editor/new", `${webUrl}/`);
  url.searchParams.set("start_url", draft.startUrl);
  const fields = draft.fields.map(({ name, selector, attribute }) => ({
    name,
    selector,
    ...(attribute ? { attribute } : {}),
  }));
  url.searchParams.set("fields", base64url(JSON.stringify(fields)));
  if (draft.mode === "list") {
    url.searchParams.set("mode", "list");
    if (draft.itemSelector) url.searchParams.set("item_selector", draft.itemSelector);
  }
  return url.toString();
}
