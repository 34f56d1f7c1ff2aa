// Event plumbing of the picker: listeners on the page's windows and same-origin frames, and DOM helpers.

import { cssSelector } from "./selectors";

/** Pointer and key events the page must not see while picking (the overlay's own controls still get them). */
export const BLOCKED = [
  "click",
  "dblclick",
  "auxclick",
  "mousedown",
  "mouseup",
  "pointerdown",
  "pointerup",
  "contextmenu",
];

/** The innermost element an event hit, looking into open shadow roots; text nodes map to their parent. */
export function deepTarget(event: Event): Element | null {
  const path = typeof event.composedPath === "function" ? event.composedPath() : [];
  const first = (path[0] ?? event.target) as Node | null;
  if (!first) return null;
  if (first.nodeType === 1) return first as Element;
  return first.parentElement;
}

/** The parent across a shadow boundary (a shadow root's top element goes to its host). */
export function parentOf(element: Element): Element | null {
  if (element.parentElement) return element.parentElement;
  const root = element.getRootNode();
  return root.nodeType === 11 ? (root as ShadowRoot).host : null;
}

/** Selectors of the iframes (outermost first) and shadow hosts leading to an element. */
export function contextOf(element: Element): { frames: string[]; shadowHosts: string[] } {
  const shadowHosts: string[] = [];
  for (let root = element.getRootNode(); root.nodeType === 11;) {
    const host = (root as ShadowRoot).host;
    shadowHosts.unshift(cssSelector(host));
    root = host.getRootNode();
  }
  const frames: string[] = [];
  for (
    let view: Window | null = element.ownerDocument.defaultView;
    view && view !== view.parent;
    view = view.parent
  ) {
    let frame: Element | null = null;
    try {
      frame = view.frameElement;
    } catch {
      break;
    }
    if (!frame) break;
    frames.unshift(cssSelector(frame));
  }
  return { frames, shadowHosts };
}

export interface PageHandlers {
  move(event: Event): void;
  press(event: Event): void;
  key(event: KeyboardEvent): void;
  /** The layout may have changed (scroll, resize): highlights must be redrawn. */
  layout(): void;
}

/** Capture-phase listeners on a document's window and, recursively, every same-origin frame inside it. */
export class PageListeners {
  private readonly removers: (() => void)[] = [];
  private readonly docs = new Set<Document>();

  constructor(private readonly handlers: PageHandlers) {}

  private listen(target: EventTarget, type: string, handler: (event: Event) => void, capture = true): void {
    const options = { capture, passive: false };
    target.addEventListener(type, handler, options);
    this.removers.push(() => target.removeEventListener(type, handler, options));
  }

  attach(doc: Document): void {
    const view = doc.defaultView;
    if (!view || this.docs.has(doc)) return;
    this.docs.add(doc);
    this.listen(view, "mousemove", (event) => this.handlers.move(event));
    for (const type of BLOCKED) this.listen(view, type, (event) => this.handlers.press(event));
    this.listen(view, "keydown", (event) => this.handlers.key(event as KeyboardEvent));
    this.listen(view, "scroll", () => this.handlers.layout());
    this.listen(view, "resize", () => this.handlers.layout());
    for (const frame of Array.from(doc.querySelectorAll("iframe, frame"))) {
      // A frame that (re)loads later gets listeners then; cross-origin frames throw or give null: skipped.
      this.listen(frame, "load", () => this.attachFrame(frame), false);
      this.attachFrame(frame);
    }
  }

  private attachFrame(frame: Element): void {
    try {
      const inner = (frame as HTMLIFrameElement).contentDocument;
      if (inner) this.attach(inner);
    } catch {
      // Cross-origin: the extension's content script in that frame handles it, not us.
    }
  }

  removeAll(): void {
    for (const remove of this.removers.splice(0)) remove();
    this.docs.clear();
  }
}
