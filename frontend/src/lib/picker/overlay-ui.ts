// The picker's own DOM: a shadow-rooted host with highlight boxes and a toolbar that page CSS cannot reach.

import { type Box, place } from "./geometry";

export const HOST_TAG = "scrapeflow-picker";
const MAX_MATCH_BOXES = 500;
const STOPPED_AT_HOST = [
  "click",
  "dblclick",
  "auxclick",
  "mousedown",
  "mouseup",
  "pointerdown",
  "pointerup",
  "contextmenu",
  "keydown",
  "keyup",
];

const STYLE = `
:host { all: initial; }
.box { position: fixed; top: 0; left: 0; display: none; box-sizing: border-box; pointer-events: none; }
.hover { border: 2px solid #2563eb; background: rgba(37, 99, 235, 0.12); }
.match { border: 2px dashed #16a34a; background: rgba(22, 163, 74, 0.10); }
.field { border: 2px solid #c026d3; background: rgba(192, 38, 211, 0.10); }
.bar { position: fixed; right: 16px; bottom: 16px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px;
  max-width: min(560px, calc(100vw - 32px)); padding: 10px 12px; border-radius: 10px; background: #0f172a;
  color: #f8fafc; font: 13px/1.4 system-ui, sans-serif; box-shadow: 0 8px 24px rgba(0, 0, 0, 0.3);
  pointer-events: auto; }
.status { flex: 1 1 200px; min-width: 0; }
.sample { display: block; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; color: #cbd5e1; }
button { font: inherit; padding: 4px 10px; border-radius: 6px; border: 1px solid #475569; background: #1e293b;
  color: inherit; cursor: pointer; }
button:focus-visible { outline: 2px solid #60a5fa; outline-offset: 2px; }
button:disabled { opacity: 0.45; cursor: default; }
button.primary { background: #2563eb; border-color: #2563eb; }
`;

export interface ToolbarState {
  status: string;
  sample: string;
  canWiden: boolean;
  canNarrow: boolean;
  canConfirm: boolean;
  listMode: boolean;
}

export interface ToolbarActions {
  widen(): void;
  narrow(): void;
  confirm(): void;
  cancel(): void;
}

function styled(doc: Document, root: ShadowRoot): void {
  // A constructed sheet is not inline <style>, so a strict style-src CSP on the page does not block it.
  const View = doc.defaultView as (Window & typeof globalThis) | null;
  try {
    if (View && "adoptedStyleSheets" in root && typeof View.CSSStyleSheet === "function") {
      const sheet = new View.CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
      return;
    }
  } catch {
    // Fall back to a <style> element below.
  }
  const style = doc.createElement("style");
  style.textContent = STYLE;
  root.append(style);
}

/** The overlay: owns the host element, its shadow root and every node inside it. */
export class OverlayUi {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  private readonly hoverBox: HTMLElement;
  private readonly matchLayer: HTMLElement;
  private readonly fieldLayer: HTMLElement;
  private readonly statusText: HTMLElement;
  private readonly sampleText: HTMLElement;
  private readonly buttons: Record<keyof ToolbarActions, HTMLButtonElement>;

  constructor(
    private readonly doc: Document,
    mode: "open" | "closed",
    actions: ToolbarActions,
  ) {
    this.host = doc.createElement(HOST_TAG);
    // Inline !important beats any page rule aimed at the host; the shadow root keeps the rest out.
    for (const [name, value] of [
      ["position", "fixed"],
      ["inset", "0"],
      ["z-index", "2147483647"],
      ["pointer-events", "none"],
      ["display", "block"],
    ]) {
      this.host.style.setProperty(name, value, "important");
    }
    this.root = this.host.attachShadow({ mode });
    styled(doc, this.root);
    this.hoverBox = this.node("div", "box hover");
    this.matchLayer = this.node("div", "layer");
    this.fieldLayer = this.node("div", "layer");
    const bar = this.node("div", "bar");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Element picker");
    const status = doc.createElement("div");
    status.className = "status";
    status.setAttribute("aria-live", "polite");
    this.statusText = doc.createElement("span");
    this.sampleText = doc.createElement("span");
    this.sampleText.className = "sample";
    status.append(this.statusText, this.sampleText);
    bar.append(status);
    const button = (name: keyof ToolbarActions, label: string, title: string) => {
      const element = doc.createElement("button");
      element.type = "button";
      element.textContent = label;
      element.title = title;
      element.dataset.action = name;
      element.addEventListener("click", () => actions[name]());
      bar.append(element);
      return element;
    };
    this.buttons = {
      narrow: button("narrow", "Fewer", "Match fewer elements"),
      widen: button("widen", "More", "Match more similar elements"),
      cancel: button("cancel", "Cancel", "Stop picking (Esc)"),
      confirm: button("confirm", "Use selection", "Use this selection (Enter)"),
    };
    this.buttons.confirm.className = "primary";
    // Events from the toolbar bubble out of the shadow root (they are composed): the page must not see them.
    for (const type of STOPPED_AT_HOST) this.host.addEventListener(type, (event) => event.stopPropagation());
    doc.documentElement.append(this.host);
  }

  private node(tag: string, className: string): HTMLElement {
    const element = this.doc.createElement(tag);
    element.className = className;
    this.root.append(element);
    return element;
  }

  showHover(box: Box | null): void {
    place(this.hoverBox, box);
  }

  private fill(layer: HTMLElement, boxes: (Box | null)[], className: string): void {
    const shown = boxes.slice(0, MAX_MATCH_BOXES);
    while (layer.children.length > shown.length) layer.lastElementChild?.remove();
    while (layer.children.length < shown.length) {
      const box = this.doc.createElement("div");
      box.className = `box ${className}`;
      layer.append(box);
    }
    shown.forEach((box, index) => place(layer.children[index] as HTMLElement, box));
  }

  showMatches(boxes: (Box | null)[]): void {
    this.fill(this.matchLayer, boxes, "match");
  }

  showFields(boxes: (Box | null)[]): void {
    this.fill(this.fieldLayer, boxes, "field");
  }

  setState(state: ToolbarState): void {
    this.statusText.textContent = state.status;
    this.sampleText.textContent = state.sample;
    this.buttons.widen.disabled = !state.canWiden;
    this.buttons.narrow.disabled = !state.canNarrow;
    this.buttons.widen.hidden = !state.listMode;
    this.buttons.narrow.hidden = !state.listMode;
    this.buttons.confirm.disabled = !state.canConfirm;
  }

  contains(node: EventTarget | null): boolean {
    return (
      node === this.host ||
      (node instanceof Object && "getRootNode" in node && (node as Node).getRootNode() === this.root)
    );
  }

  remove(): void {
    this.host.remove();
  }
}
