/** Where a bot opens: the whole bot when it fits at a readable zoom, else its first steps at that zoom. A
 * 300-step bot fitted whole would be drawn at 5% — a hundred unreadable steps, each drawn and kept up to date —
 * while the minimap and the fit-view control still give the overview. */
import {
  getViewportForBounds,
  useNodesInitialized,
  useReactFlow,
  useStoreApi,
  type Rect,
  type Viewport,
} from "@xyflow/react";
import { useEffect, useRef } from "react";

/** The smallest zoom at which a step's title and summary can still be read. */
export const READABLE_ZOOM = 0.5;
const PADDING = 0.1;
const MARGIN = 40;

export function openingViewport(bounds: Rect, width: number, height: number): Viewport {
  const fit = getViewportForBounds(bounds, width, height, READABLE_ZOOM, 1, PADDING);
  if (bounds.width * fit.zoom <= width && bounds.height * fit.zoom <= height) return fit;
  const zoom = READABLE_ZOOM;
  const x =
    bounds.width * zoom <= width - 2 * MARGIN
      ? width / 2 - (bounds.x + bounds.width / 2) * zoom
      : MARGIN - bounds.x * zoom;
  return { x, y: MARGIN - bounds.y * zoom, zoom };
}

/** Sets the opening view once, when the first document's steps have been measured. */
export function useOpeningView() {
  const flow = useReactFlow();
  const store = useStoreApi();
  const initialized = useNodesInitialized();
  const opened = useRef(false);
  useEffect(() => {
    if (!initialized || opened.current) return;
    opened.current = true;
    const { width, height } = store.getState();
    void flow.setViewport(openingViewport(flow.getNodesBounds(flow.getNodes()), width, height));
  }, [initialized, flow, store]);
}
