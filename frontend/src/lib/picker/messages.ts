// The messages the web app and the browser extension exchange over postMessage, and their strict validator.

import type { Sample } from "./sample";

/** Every bridge message carries this marker, so unrelated postMessage traffic is ignored at once. */
export const BRIDGE_SOURCE = "scrapeflow-picker";
export const BRIDGE_VERSION = 1;

export type SelectionMode = "single" | "list";

/** Commands the editor sends into the in-app picker's frame (its own Use and Cancel buttons). */
export const FRAME_CONFIRM = "scrapeflow-picker:confirm";
export const FRAME_CANCEL = "scrapeflow-picker:cancel";

export interface PickedField {
  name: string;
  /** Relative to a list item. */
  css: string;
  xpath: string;
  sample: Sample;
}

/** What the picker hands back: the selector, its XPath twin, the count on the page and a sample. */
export interface PickerResult {
  css: string;
  xpath: string;
  count: number;
  sample: Sample;
  fields: PickedField[];
  /** Selectors of the iframes leading to the element, outermost first (absent for the top document). */
  frames?: string[];
  /** Selectors of the shadow hosts leading to the element, outermost first; `css` is relative to the last. */
  shadowHosts?: string[];
}

interface Envelope {
  source: typeof BRIDGE_SOURCE;
  version: typeof BRIDGE_VERSION;
  /** Chosen by the web app per pick, echoed by the extension: answers to another pick are dropped. */
  nonce: string;
}

export interface PingMessage extends Envelope {
  type: "PING";
}

export interface ExtensionPresentMessage extends Envelope {
  type: "EXTENSION_PRESENT";
  extensionVersion: string;
}

export interface StartSelectionMessage extends Envelope {
  type: "START_SELECTION";
  requestId: string;
  url: string;
  mode: SelectionMode;
}

export interface SelectionResultMessage extends Envelope {
  type: "SELECTION_RESULT";
  requestId: string;
  url: string;
  result: PickerResult;
}

/** The in-app picker's frame tells the editor what is selected so far (it answers SELECTION_RESULT on confirm). */
export interface SelectionPreviewMessage extends Envelope {
  type: "SELECTION_PREVIEW";
  requestId: string;
  url: string;
  result: PickerResult | null;
}

export interface SelectionCancelledMessage extends Envelope {
  type: "SELECTION_CANCELLED";
  requestId: string;
  reason: "user" | "tab-closed" | "navigation" | "error";
}

export type BridgeMessage =
  | PingMessage
  | ExtensionPresentMessage
  | StartSelectionMessage
  | SelectionResultMessage
  | SelectionPreviewMessage
  | SelectionCancelledMessage;

export interface BridgeExpectation {
  /** The origin the message really came from (MessageEvent.origin). */
  origin: string;
  /** The only origin accepted. */
  expectedOrigin: string;
  /** When set, messages carrying another nonce are ignored. */
  nonce?: string;
}

const MAX_STRING = 10_000;
const MAX_FIELDS = 100;
const CANCEL_REASONS = new Set(["user", "tab-closed", "navigation", "error"]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isText(value: unknown, max = MAX_STRING): value is string {
  return typeof value === "string" && value.length <= max;
}

function isId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{8,128}$/.test(value);
}

function isHttpUrl(value: unknown): value is string {
  if (!isText(value, 4096)) return false;
  try {
    const protocol = new URL(value).protocol;
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

function isSample(value: unknown): value is Sample {
  if (!isObject(value) || !isText(value.value)) return false;
  if (value.text !== undefined && !isText(value.text)) return false;
  if (value.attribute === undefined) return true;
  return isObject(value.attribute) && isText(value.attribute.name, 100) && isText(value.attribute.value);
}

function isField(value: unknown): value is PickedField {
  return (
    isObject(value) &&
    isText(value.name, 200) &&
    isText(value.css) &&
    isText(value.xpath) &&
    isSample(value.sample)
  );
}

function isSelectorList(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) && value.length <= 20 && value.every((item) => isText(item, 2000)))
  );
}

function isResult(value: unknown): value is PickerResult {
  return (
    isObject(value) &&
    isText(value.css) &&
    value.css.length > 0 &&
    isText(value.xpath) &&
    Number.isInteger(value.count) &&
    (value.count as number) >= 0 &&
    isSample(value.sample) &&
    Array.isArray(value.fields) &&
    value.fields.length <= MAX_FIELDS &&
    value.fields.every(isField) &&
    isSelectorList(value.frames) &&
    isSelectorList(value.shadowHosts)
  );
}

function isBody(data: Json): boolean {
  switch (data.type) {
    case "PING":
      return true;
    case "EXTENSION_PRESENT":
      return isText(data.extensionVersion, 50);
    case "START_SELECTION":
      return isId(data.requestId) && isHttpUrl(data.url) && (data.mode === "single" || data.mode === "list");
    case "SELECTION_RESULT":
      return isId(data.requestId) && isHttpUrl(data.url) && isResult(data.result);
    case "SELECTION_PREVIEW":
      return isId(data.requestId) && isHttpUrl(data.url) && (data.result === null || isResult(data.result));
    case "SELECTION_CANCELLED":
      return isId(data.requestId) && typeof data.reason === "string" && CANCEL_REASONS.has(data.reason);
    default:
      return false;
  }
}

/**
 * The message, when it is well-formed, comes from the expected origin and carries the expected nonce; otherwise
 * null (the caller ignores it). Page scripts can post anything to a window, so nothing is trusted unchecked.
 */
export function parseBridgeMessage(data: unknown, expect: BridgeExpectation): BridgeMessage | null {
  if (!expect.expectedOrigin || expect.origin !== expect.expectedOrigin) return null;
  if (!isObject(data) || data.source !== BRIDGE_SOURCE || data.version !== BRIDGE_VERSION) return null;
  if (!isId(data.nonce) || (expect.nonce !== undefined && data.nonce !== expect.nonce)) return null;
  return isBody(data) ? (data as unknown as BridgeMessage) : null;
}

/** The same check for a MessageEvent, using its origin. */
export function parseBridgeEvent(
  event: Pick<MessageEvent, "data" | "origin">,
  expect: Omit<BridgeExpectation, "origin">,
): BridgeMessage | null {
  return parseBridgeMessage(event.data, { ...expect, origin: event.origin });
}

/** A nonce or request id: 128 random bits, URL-safe. */
export function randomToken(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

type WithoutEnvelope<T> = T extends BridgeMessage ? Omit<T, "source" | "version"> : never;

/** Wraps a message body in the envelope the validator expects. */
export function bridgeMessage<T extends WithoutEnvelope<BridgeMessage>>(
  body: T,
): T & Omit<Envelope, "nonce"> {
  return { ...body, source: BRIDGE_SOURCE, version: BRIDGE_VERSION };
}
