// Where an element is on screen, in the picker window's coordinates (adding the offsets of same-origin frames).

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The element's box in `top`'s viewport, or null when it is gone or in a frame we cannot see through. */
export function boxOf(element: Element, top: Window): Box | null {
  if (!element.isConnected) return null;
  const rect = element.getBoundingClientRect();
  let x = rect.left;
  let y = rect.top;
  let view = element.ownerDocument.defaultView;
  while (view && view !== top) {
    let frame: Element | null;
    try {
      frame = view.frameElement;
    } catch {
      return null;
    }
    if (!frame) return null;
    const outer = frame.getBoundingClientRect();
    x += outer.left + frame.clientLeft;
    y += outer.top + frame.clientTop;
    view = frame.ownerDocument.defaultView;
  }
  return { x, y, width: rect.width, height: rect.height };
}

/** Moves an absolutely positioned overlay node onto a box (hidden when there is none). */
export function place(node: HTMLElement, box: Box | null): void {
  if (!box || (box.width === 0 && box.height === 0)) {
    node.style.setProperty("display", "none");
    return;
  }
  node.style.setProperty("display", "block");
  node.style.setProperty("transform", `translate(${Math.round(box.x)}px, ${Math.round(box.y)}px)`);
  node.style.setProperty("width", `${Math.max(1, Math.round(box.width))}px`);
  node.style.setProperty("height", `${Math.max(1, Math.round(box.height))}px`);
}
