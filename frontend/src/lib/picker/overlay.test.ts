import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { PickerResult } from "./messages";
import { Picker } from "./overlay";
import { HOST_TAG } from "./overlay-ui";
import { select } from "./selectors";

let picker: Picker | null = null;
const onResult = vi.fn<(result: PickerResult) => void>();
const onCancel = vi.fn<() => void>();

function start(mode: "single" | "list" = "single"): Picker {
  picker = new Picker({ mode, shadowMode: "open", onResult, onCancel });
  return picker;
}

function pick(query: string, root: ParentNode = document): Element {
  const element = root.querySelector(query);
  if (!element) throw new Error(`fixture has no ${query}`);
  return element;
}

function mouse(target: Element, type: string): MouseEvent {
  const View = (target.ownerDocument.defaultView ?? window) as Window & typeof globalThis;
  const event = new View.MouseEvent(type, { bubbles: true, cancelable: true, composed: true });
  target.dispatchEvent(event);
  return event;
}

function key(key: string, target: EventTarget = document.body): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, composed: true });
  target.dispatchEvent(event);
  return event;
}

function toolbarButton(action: string): HTMLButtonElement {
  return pick(`[data-action="${action}"]`, picker?.ui.root ?? document) as HTMLButtonElement;
}

const GRID = Array.from(
  { length: 6 },
  (_, i) => `<article class="card" data-product-id="${i + 1}"><h2><a href="/p/${i + 1}">Item ${i + 1}</a></h2>
    <span class="price">€${i + 1}</span></article>`,
).join("");

beforeEach(() => {
  document.body.innerHTML = `<main><h1 id="title">Shop</h1><div class="grid">${GRID}</div></main>`;
  onResult.mockReset();
  onCancel.mockReset();
});

afterEach(() => {
  picker?.destroy();
  picker = null;
});

describe("Picker in single mode", () => {
  it("highlights on hover, picks on click without the page seeing the click, confirms with Enter", () => {
    const pageClick = vi.fn();
    const link = pick('[data-product-id="2"] a');
    link.addEventListener("click", pageClick);
    start();
    expect(document.querySelector(HOST_TAG)).not.toBeNull();
    mouse(link, "mousemove");
    expect(picker?.hovered).toBe(link);
    const click = mouse(link, "click");
    expect(click.defaultPrevented).toBe(true);
    expect(pageClick).not.toHaveBeenCalled();
    expect(picker?.picked).toBe(link);
    expect(picker?.ui.root.textContent).toContain("1 element selected");
    key("Enter");
    expect(onResult).toHaveBeenCalledTimes(1);
    const result = onResult.mock.calls[0][0];
    expect(select(result.css, document)).toEqual([link]);
    expect(result).toMatchObject({ count: 1, sample: { text: "Item 2" }, fields: [] });
    expect(document.querySelector(HOST_TAG)).toBeNull();
  });

  it("cancels with Esc and leaves the page exactly as it was, listeners included", () => {
    const before = document.documentElement.outerHTML;
    const pageClick = vi.fn();
    const pageKey = vi.fn();
    document.body.addEventListener("click", pageClick);
    document.addEventListener("keydown", pageKey);
    start();
    mouse(pick("#title"), "mousemove");
    key("Escape");
    expect(pageKey).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(onResult).not.toHaveBeenCalled();
    expect(document.documentElement.outerHTML).toBe(before);
    mouse(pick("#title"), "click");
    expect(pageClick).toHaveBeenCalledTimes(1);
    key("Escape");
    expect(pageKey).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledTimes(1);
    document.body.removeEventListener("click", pageClick);
    document.removeEventListener("keydown", pageKey);
  });

  it("moves to the parent and back to the child with the arrow keys and brackets", () => {
    start();
    const link = pick('[data-product-id="3"] a');
    mouse(link, "mousemove");
    key("ArrowUp");
    expect(picker?.hovered).toBe(link.parentElement);
    key("[");
    expect(picker?.hovered).toBe(pick('[data-product-id="3"]'));
    key("]");
    key("ArrowDown");
    expect(picker?.hovered).toBe(link);
    mouse(link, "click");
    key("ArrowUp");
    expect(picker?.picked).toBe(link.parentElement);
  });

  it("survives an element that disappears while hovered", () => {
    start();
    const title = pick("#title");
    mouse(title, "mousemove");
    title.remove();
    expect(() => picker?.render()).not.toThrow();
    expect(picker?.hovered).toBeNull();
    mouse(title, "click"); // a click on a detached element picks nothing
    expect(picker?.picked).toBeNull();
    key("Enter");
    expect(onResult).not.toHaveBeenCalled();
  });

  it("picks SVG elements", () => {
    document.body.insertAdjacentHTML(
      "beforeend",
      `<svg class="chart"><rect class="bar" width="2"/><rect width="3"/></svg>`,
    );
    start();
    const rect = pick("svg rect:nth-of-type(2)");
    mouse(rect, "click");
    key("Enter");
    expect(select(onResult.mock.calls[0][0].css, document)).toEqual([rect]);
  });

  it("picks inside an open shadow root and reports the host", () => {
    const host = document.createElement("div");
    host.id = "widget";
    document.body.append(host);
    host.attachShadow({ mode: "open" }).innerHTML = `<p class="inner">Deep</p>`;
    start();
    const inner = pick(".inner", host.shadowRoot as ShadowRoot);
    mouse(inner, "mousemove");
    expect(picker?.hovered).toBe(inner);
    mouse(inner, "click");
    key("Enter");
    expect(onResult.mock.calls[0][0]).toMatchObject({
      css: ".inner",
      shadowHosts: ["#widget"],
      sample: { value: "Deep" },
    });
  });
});

describe("Picker with frames", () => {
  it("works inside a same-origin iframe and skips a cross-origin one", () => {
    const frame = document.createElement("iframe");
    frame.id = "preview";
    const blocked = document.createElement("iframe");
    Object.defineProperty(blocked, "contentDocument", {
      get() {
        throw new DOMException("Blocked a frame with origin", "SecurityError");
      },
    });
    document.body.append(frame, blocked);
    const inner = frame.contentDocument as Document;
    inner.body.innerHTML = `<p><a data-testid="inside" href="/x">Inside</a></p>`;
    expect(() => start()).not.toThrow();
    const link = pick("[data-testid=inside]", inner);
    const pageClick = vi.fn();
    link.addEventListener("click", pageClick);
    mouse(link, "mousemove");
    expect(picker?.hovered).toBe(link);
    mouse(link, "click");
    expect(pageClick).not.toHaveBeenCalled();
    key("Enter");
    expect(onResult.mock.calls[0][0]).toMatchObject({ css: '[data-testid="inside"]', frames: ["#preview"] });
  });
});

describe("Picker in list mode", () => {
  it("proposes all similar elements, widens and narrows, and adds fields relative to the item", () => {
    start("list");
    mouse(pick('[data-product-id="2"]'), "click");
    expect(picker?.list?.current.count).toBe(6);
    expect(picker?.ui.root.textContent).toContain("6 similar elements selected");
    toolbarButton("narrow").click();
    expect(picker?.list?.current.count).toBe(1);
    toolbarButton("widen").click();
    expect(picker?.list?.current.count).toBe(6);
    mouse(pick('[data-product-id="4"] .price'), "click");
    mouse(pick('[data-product-id="4"] a'), "click");
    expect(picker?.fields.map((entry) => entry.field.css)).toEqual([".price", "a"]);
    toolbarButton("confirm").click();
    const result = onResult.mock.calls[0][0];
    expect(result.count).toBe(6);
    expect(select(result.css, document)).toHaveLength(6);
    expect(result.fields.map((field) => field.sample.value)).toEqual(["€4", "Item 4"]);
    expect(document.querySelector(HOST_TAG)).toBeNull();
  });

  it("lets toolbar clicks through to the overlay, not to the page, and cancels from the toolbar", () => {
    const pageClick = vi.fn();
    document.addEventListener("click", pageClick);
    start("list");
    toolbarButton("cancel").click();
    document.removeEventListener("click", pageClick);
    expect(pageClick).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(document.querySelector(HOST_TAG)).toBeNull();
  });
});
