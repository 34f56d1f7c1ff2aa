// Messages between the extension's own parts (bridge, picker, popup, permission page and service worker).

import type { PagePick } from "./draft";
import type {
  SelectionCancelledMessage,
  SelectionMode,
  SelectionResultMessage,
  StartSelectionMessage,
} from "./picker";

export type CancelReason = SelectionCancelledMessage["reason"];

/** Sent to the service worker. */
export type BackgroundMessage =
  | { kind: "selection:start"; request: Pick<StartSelectionMessage, "nonce" | "requestId" | "url" | "mode"> }
  | { kind: "picker:result"; sessionId: string; url: string; result: PagePick }
  | { kind: "picker:cancelled"; sessionId: string; reason: CancelReason }
  | { kind: "popup:pick"; tabId: number; mode: SelectionMode }
  | { kind: "grant:done"; sessionId: string; granted: boolean };

/** Sent by the service worker to the bridge on the web app's page. */
export interface BridgeDelivery {
  kind: "bridge:deliver";
  message: SelectionResultMessage | SelectionCancelledMessage;
}

/** Sent by the service worker to the picker it injected. */
export type PickerCommand =
  | { kind: "picker:start"; sessionId: string; mode: SelectionMode }
  | { kind: "picker:stop"; sessionId: string };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null;
}

const KINDS = new Set(["selection:start", "picker:result", "picker:cancelled", "popup:pick", "grant:done"]);

/** The message when its kind is known; the fields were checked by whoever built it inside the extension. */
export function asBackgroundMessage(value: unknown): BackgroundMessage | null {
  return isObject(value) && typeof value.kind === "string" && KINDS.has(value.kind)
    ? (value as unknown as BackgroundMessage)
    : null;
}

export function isBridgeDelivery(value: unknown): value is BridgeDelivery {
  return isObject(value) && value.kind === "bridge:deliver" && isObject(value.message);
}

export function isPickerCommand(value: unknown): value is PickerCommand {
  return (
    isObject(value) &&
    (value.kind === "picker:start" || value.kind === "picker:stop") &&
    typeof value.sessionId === "string"
  );
}
