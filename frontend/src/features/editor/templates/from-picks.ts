/** A new bot from what was picked on a page (the Chrome extension's "Create a bot from this page"):
 * `/editor/new?start_url=…&fields=…[&mode=list&item_selector=…]`, `fields` being base64url JSON of
 * `[{name, selector, attribute?}]`. Anything malformed is ignored: the editor then opens a blank bot. */
import type { NodeValues, WorkflowDocument } from "../types";

import { lineDocument } from "./index";

export interface PickedStart {
  start_url?: string;
  fields?: string;
  mode?: string;
  item_selector?: string;
}

export interface NewBot {
  botName: string;
  document: WorkflowDocument;
}

const MAX_FIELDS = 50;

interface Picked {
  name: string;
  selector: string;
  attribute?: string;
}

function decodeFields(value: string): Picked[] | null {
  try {
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0)),
    );
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed) || parsed.length > MAX_FIELDS) return null;
    const fields = parsed.filter(
      (item): item is Picked =>
        typeof item === "object" &&
        item !== null &&
        typeof item.name === "string" &&
        typeof item.selector === "string" &&
        item.selector.length > 0 &&
        (item.attribute === undefined || item.attribute === null || typeof item.attribute === "string"),
    );
    return fields.length === parsed.length ? fields : null;
  } catch {
    return null;
  }
}

function isWebAddress(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function pickedBot(params: PickedStart): NewBot | null {
  const { start_url: startUrl, fields: encoded, mode, item_selector: itemSelector } = params;
  if (!startUrl || !isWebAddress(startUrl)) return null;
  const fields = encoded ? decodeFields(encoded) : [];
  if (fields === null) return null;
  const list = mode === "list" && Boolean(itemSelector);
  const steps: [string, NodeValues][] = fields.length
    ? [
        [
          "extract",
          {
            mode: list ? "list" : "single",
            ...(list ? { item_selector: itemSelector } : {}),
            fields: fields.map((field) => ({
              name: field.name,
              selector: field.selector,
              selector_type: "css",
              type: field.attribute === "href" ? "url" : "text",
              ...(field.attribute ? { attribute: field.attribute } : {}),
            })),
          },
        ],
      ]
    : [];
  return { botName: new URL(startUrl).hostname, document: lineDocument(startUrl, steps) };
}
