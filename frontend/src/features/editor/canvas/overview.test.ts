import { describe, expect, it } from "vitest";

import type { StepNode } from "../types";
import { overviewShapes } from "./overview";

const step = (id: string, kind: string, x: number, y: number, measured?: { width: number; height: number }) =>
  ({ id, type: "step", position: { x, y }, data: { kind, values: {} }, measured }) as StepNode;

const stageOf = (kind: string) => (({ start: "source", click: "page" }) as const)[kind as "start" | "click"];

describe("overview shapes", () => {
  it("draws each stage's steps as one path and bounds them all", () => {
    const { paths, bounds } = overviewShapes(
      [
        step("a", "start", 0, 0, { width: 260, height: 50 }),
        step("b", "click", 0, 150, { width: 260, height: 80 }),
        step("c", "click", 300, 300),
        step("d", "mystery", -40, 20, { width: 10, height: 10 }),
      ],
      stageOf,
    );
    expect(paths).toEqual([
      { fill: "#10b981", d: "M0,0h260v50h-260z" },
      { fill: "#0ea5e9", d: "M0,150h260v80h-260zM300,300h260v64h-260z" },
      { fill: "#94a3b8", d: "M-40,20h10v10h-10z" },
    ]);
    expect(bounds).toEqual({ x: -40, y: 0, width: 600, height: 364 });
  });

  it("has no bounds without steps", () => {
    expect(overviewShapes([], stageOf)).toEqual({ paths: [], bounds: null });
  });
});
