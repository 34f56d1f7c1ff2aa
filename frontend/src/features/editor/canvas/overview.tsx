"use client";

/** The canvas's overview (minimap): every step as a rectangle coloured by its stage, the part in view outlined,
 * and drag or scroll in it to pan or zoom the canvas. React Flow's own MiniMap subscribes each rectangle to the
 * canvas store, so a 300-step bot pays 300 selector runs on every canvas update (adding a step makes four of
 * them); this one subscribes once and draws each stage's steps as a single path. */
import { Panel, useStore, useStoreApi, type ReactFlowState, type Rect } from "@xyflow/react";
import { XYMinimap, type XYMinimapInstance } from "@xyflow/system";
import { memo, useEffect, useMemo, useRef } from "react";
import { shallow } from "zustand/shallow";

import type { Stage, StepNode } from "../types";
import { NODE_WIDTH } from "./geometry";

const WIDTH = 200;
const HEIGHT = 150;
/** Space around the steps, in overview pixels. */
const MARGIN = 5;
const UNMEASURED_HEIGHT = 64;

const STAGE_FILL: Record<Stage, string> = {
  source: "#10b981",
  page: "#0ea5e9",
  post: "#8b5cf6",
  sink: "#f59e0b",
};
const UNKNOWN_FILL = "#94a3b8";

/** Each stage's steps as one SVG path of rectangles, and the rectangle that holds them all. */
export function overviewShapes(
  nodes: StepNode[],
  stageOf: (kind: string) => Stage | undefined,
): { paths: { fill: string; d: string }[]; bounds: Rect | null } {
  const parts = new Map<string, string[]>();
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const node of nodes) {
    if (node.hidden) continue;
    const { x, y } = node.position;
    const width = node.measured?.width ?? node.initialWidth ?? NODE_WIDTH;
    const height = node.measured?.height ?? node.initialHeight ?? UNMEASURED_HEIGHT;
    const stage = stageOf(node.data.kind);
    const fill = stage ? STAGE_FILL[stage] : UNKNOWN_FILL;
    const list = parts.get(fill) ?? [];
    list.push(`M${x},${y}h${width}v${height}h${-width}z`);
    parts.set(fill, list);
    [left, top] = [Math.min(left, x), Math.min(top, y)];
    [right, bottom] = [Math.max(right, x + width), Math.max(bottom, y + height)];
  }
  const bounds = left === Infinity ? null : { x: left, y: top, width: right - left, height: bottom - top };
  return { paths: [...parts].map(([fill, d]) => ({ fill, d: d.join("") })), bounds };
}

function union(a: Rect, b: Rect | null): Rect {
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

const viewSelector = (s: ReactFlowState) => ({
  transform: s.transform,
  flowWidth: s.width,
  flowHeight: s.height,
  panZoom: s.panZoom,
  translateExtent: s.translateExtent,
});

interface OverviewProps {
  stageOf: (kind: string) => Stage | undefined;
  label: string;
}

export const Overview = memo(function Overview({ stageOf, label }: OverviewProps) {
  const store = useStoreApi();
  // Every node on this canvas is a step.
  const nodes = useStore((s) => s.nodes as StepNode[]);
  const { transform, flowWidth, flowHeight, panZoom, translateExtent } = useStore(viewSelector, shallow);
  const svg = useRef<SVGSVGElement>(null);
  const minimap = useRef<XYMinimapInstance | null>(null);
  const viewScale = useRef(1);

  const { paths, bounds } = useMemo(() => overviewShapes(nodes, stageOf), [nodes, stageOf]);
  const [tx, ty, zoom] = transform;
  const inView = { x: -tx / zoom, y: -ty / zoom, width: flowWidth / zoom, height: flowHeight / zoom };
  const shown = union(inView, bounds);
  const scale = Math.max(shown.width / WIDTH, shown.height / HEIGHT);
  viewScale.current = scale;
  const margin = MARGIN * scale;
  const box = {
    x: shown.x - (scale * WIDTH - shown.width) / 2 - margin,
    y: shown.y - (scale * HEIGHT - shown.height) / 2 - margin,
    width: scale * WIDTH + 2 * margin,
    height: scale * HEIGHT + 2 * margin,
  };

  useEffect(() => {
    if (!svg.current || !panZoom) return;
    const instance = XYMinimap({
      domNode: svg.current,
      panZoom,
      getTransform: () => store.getState().transform,
      getViewScale: () => viewScale.current,
    });
    minimap.current = instance;
    return () => instance.destroy();
  }, [panZoom, store]);

  useEffect(() => {
    minimap.current?.update({
      translateExtent,
      width: flowWidth,
      height: flowHeight,
      pannable: true,
      zoomable: true,
      zoomStep: 1,
    });
  }, [panZoom, translateExtent, flowWidth, flowHeight]);

  return (
    <Panel position="bottom-right" className="react-flow__minimap">
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${box.x} ${box.y} ${box.width} ${box.height}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-label={label}
      >
        {paths.map(({ fill, d }) => (
          <path key={fill} d={d} fill={fill} />
        ))}
        <path
          className="react-flow__minimap-mask"
          d={`M${box.x - margin},${box.y - margin}h${box.width + 2 * margin}v${box.height + 2 * margin}h${-box.width - 2 * margin}z
        M${inView.x},${inView.y}h${inView.width}v${inView.height}h${-inView.width}z`}
          fillRule="evenodd"
          pointerEvents="none"
        />
      </svg>
    </Panel>
  );
});
