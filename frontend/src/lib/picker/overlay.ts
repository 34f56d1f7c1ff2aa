// The element picker on a live page: hover highlight, click to pick, keys to move, lists and fields, clean exit.

import { boxOf } from "./geometry";
import { ListSelection } from "./lists";
import type { PickedField, PickerResult, SelectionMode } from "./messages";
import { OverlayUi } from "./overlay-ui";
import { PageListeners, contextOf, deepTarget, parentOf } from "./page-events";
import { sampleValue } from "./sample";
import { cssSelector, matchCount, xpath } from "./selectors";

export interface PickerOptions {
  mode: SelectionMode;
  /** The page to pick in (default: the current document). Same-origin frames inside it are included. */
  document?: Document;
  /** "closed" (default) hides the overlay from page scripts; tests use "open". */
  shadowMode?: "open" | "closed";
  onResult(result: PickerResult): void;
  onCancel(): void;
}

export class Picker {
  readonly ui: OverlayUi;
  hovered: Element | null = null;
  /** The element picked in single mode, or the list's first pick in list mode. */
  picked: Element | null = null;
  list: ListSelection | null = null;
  readonly fields: { element: Element; field: PickedField }[] = [];
  private readonly top: Window;
  private readonly listeners: PageListeners;
  private readonly children: Element[] = [];
  private readonly observer: MutationObserver | null;
  private destroyed = false;
  private frameRequest = 0;

  constructor(private readonly options: PickerOptions) {
    const doc = options.document ?? document;
    const view = doc.defaultView;
    if (!view) throw new Error("the picker needs a document shown in a window");
    this.top = view;
    this.ui = new OverlayUi(doc, options.shadowMode ?? "closed", {
      widen: () => this.step(1),
      narrow: () => this.step(-1),
      confirm: () => this.confirm(),
      cancel: () => this.cancel(),
    });
    this.listeners = new PageListeners({
      move: (event) => this.onMove(event),
      press: (event) => this.onPress(event),
      key: (event) => this.onKey(event),
      layout: () => this.schedule(),
    });
    this.listeners.attach(doc);
    const Observer = view.MutationObserver;
    this.observer = typeof Observer === "function" ? new Observer(() => this.schedule()) : null;
    this.observer?.observe(doc, { childList: true, subtree: true, attributes: true, characterData: true });
    this.render();
  }

  private own(event: Event): boolean {
    const path = typeof event.composedPath === "function" ? event.composedPath() : [event.target];
    return path.some((node) => node === this.ui.host);
  }

  private onMove(event: Event): void {
    if (this.own(event)) return;
    const target = deepTarget(event);
    if (target && target !== this.hovered) {
      this.hovered = target;
      this.children.length = 0;
      this.render();
    }
  }

  private onPress(event: Event): void {
    if (this.own(event)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.type !== "click") return;
    const target = deepTarget(event);
    if (target && target.isConnected) this.pick(target);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopImmediatePropagation();
      this.cancel();
      return;
    }
    if (this.own(event)) return; // the toolbar's buttons handle their own Enter and Space
    const handled: Record<string, () => void> = {
      ArrowUp: () => this.moveUp(),
      "[": () => this.moveUp(),
      ArrowDown: () => this.moveDown(),
      "]": () => this.moveDown(),
      Enter: () => (this.hovered && !this.picked ? this.pick(this.hovered) : this.confirm()),
    };
    const action = handled[event.key];
    if (!action) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    action();
  }

  /** Moves the highlight (and a single pick) to the parent element. */
  moveUp(): void {
    const current = this.focus();
    const parent = current && parentOf(current);
    if (!current || !parent || parent === current.ownerDocument.documentElement) return;
    this.children.push(current);
    this.moveTo(parent);
  }

  /** Moves back down to the child we came from, or to the first child. */
  moveDown(): void {
    const current = this.focus();
    if (!current) return;
    const previous = this.children.pop();
    const child = previous && parentOf(previous) === current ? previous : current.firstElementChild;
    if (child) this.moveTo(child);
  }

  private focus(): Element | null {
    return this.options.mode === "single" && this.picked ? this.picked : this.hovered;
  }

  private moveTo(element: Element): void {
    this.hovered = element;
    if (this.options.mode === "single" && this.picked) this.picked = element;
    this.render();
  }

  /** A click: picks the element (single), starts a list, or adds a field inside the list's items. */
  pick(element: Element): void {
    if (this.options.mode === "single") {
      this.picked = element;
    } else if (this.list && this.list.current.count > 1 && this.addField(element)) {
      // a field of the current list
    } else {
      this.picked = element;
      this.list = new ListSelection(element);
      this.fields.length = 0;
    }
    this.render();
  }

  private addField(element: Element): boolean {
    const list = this.list;
    if (!list) return false;
    const field = list.field(element);
    if (!field) return false;
    const existing = this.fields.findIndex((entry) => entry.field.css === field.css);
    if (existing >= 0) this.fields.splice(existing, 1);
    else
      this.fields.push({
        element,
        field: {
          name: `field_${this.fields.length + 1}`,
          css: field.css,
          xpath: field.xpath,
          sample: field.sample,
        },
      });
    return true;
  }

  private step(direction: 1 | -1): void {
    if (!this.list) return;
    if (direction > 0) this.list.widen();
    else this.list.narrow();
    this.fields.length = 0; // fields are relative to the items, which just changed
    this.render();
  }

  /** The selection as it would be sent, or null when nothing is picked. */
  result(): PickerResult | null {
    const element = this.picked;
    if (!element || !element.isConnected) return null;
    const context = contextOf(element);
    const extra = context.frames.length || context.shadowHosts.length ? context : {};
    if (this.list) {
      const { css, xpath: path, count } = this.list.current;
      return {
        css,
        xpath: path,
        count,
        sample: sampleValue(element),
        fields: this.fields.map((entry) => entry.field),
        ...extra,
      };
    }
    const root = element.getRootNode() as Document | ShadowRoot;
    const css = cssSelector(element);
    return {
      css,
      xpath: xpath(element),
      count: matchCount(css, root),
      sample: sampleValue(element),
      fields: [],
      ...extra,
    };
  }

  confirm(): void {
    const result = this.result();
    if (!result) return;
    this.destroy();
    this.options.onResult(result);
  }

  cancel(): void {
    if (this.destroyed) return;
    this.destroy();
    this.options.onCancel();
  }

  private schedule(): void {
    if (this.frameRequest || this.destroyed) return;
    const raf =
      this.top.requestAnimationFrame?.bind(this.top) ??
      ((callback: () => void) => this.top.setTimeout(callback, 16));
    this.frameRequest = raf(() => {
      this.frameRequest = 0;
      this.render();
    });
  }

  /** Redraws from the current state; elements the page removed meanwhile simply lose their highlight. */
  render(): void {
    if (this.destroyed) return;
    if (this.hovered && !this.hovered.isConnected) this.hovered = null;
    if (this.picked && !this.picked.isConnected) {
      this.picked = null;
      this.list = null;
      this.fields.length = 0;
    }
    this.ui.showHover(this.hovered ? boxOf(this.hovered, this.top) : null);
    const matches = this.list ? this.list.current.elements : this.picked ? [this.picked] : [];
    this.ui.showMatches(matches.map((element) => boxOf(element, this.top)));
    const fieldElements = this.fields.flatMap((entry) =>
      this.list ? this.fieldMatches(entry.field.css) : [entry.element],
    );
    this.ui.showFields(fieldElements.map((element) => boxOf(element, this.top)));
    const count = matches.length;
    const noun = this.list ? "similar elements" : "element";
    const fields = this.fields.length
      ? ` · ${this.fields.length} field${this.fields.length > 1 ? "s" : ""}`
      : "";
    this.ui.setState({
      status: count
        ? `${count} ${noun} selected${fields}`
        : "Hover an element and click to pick it · Esc cancels · ↑/↓ parent/child",
      sample: this.picked ? sampleValue(this.picked).value : this.hovered ? this.hovered.localName : "",
      canWiden: this.list?.canWiden ?? false,
      canNarrow: this.list?.canNarrow ?? false,
      canConfirm: count > 0,
      listMode: this.options.mode === "list",
    });
  }

  private fieldMatches(css: string): Element[] {
    if (!this.list) return [];
    return this.list.items().flatMap((item) => {
      try {
        return Array.from(item.querySelectorAll(`:scope ${css}`));
      } catch {
        return [];
      }
    });
  }

  /** Removes every listener, observer and node the picker added; the page is left as it was. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.frameRequest)
      (this.top.cancelAnimationFrame ?? this.top.clearTimeout).call(this.top, this.frameRequest);
    this.observer?.disconnect();
    this.listeners.removeAll();
    this.ui.remove();
  }
}

/** Starts a picker; call `destroy()` on the returned picker to stop it without a result. */
export function startPicker(options: PickerOptions): Picker {
  return new Picker(options);
}
