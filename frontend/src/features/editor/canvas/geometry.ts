/** The step node's fixed geometry, shared by the node component and the store. A step added on the canvas gets
 * handles and a size predicted from it, so React Flow draws the step's new connection in the same commit instead
 * of waiting a frame for the node to be measured; the prediction is dropped once the real size is known. */
import { Position, type NodeHandle } from "@xyflow/react";

import type { Stage, StepNode } from "../types";

export const NODE_WIDTH = 260;
/** The handles' size in pixels. */
export const HANDLE_SIZE = 12;
/** A one-line step's height; only the source handle's first position depends on it. */
const ESTIMATED_HEIGHT = 64;

export function predictedGeometry(
  stage: Stage | undefined,
): Pick<StepNode, "handles" | "initialWidth" | "initialHeight"> {
  const x = NODE_WIDTH / 2 - HANDLE_SIZE / 2;
  const handle = (type: NodeHandle["type"], position: Position, y: number): NodeHandle => ({
    id: null,
    type,
    position,
    x,
    y,
    width: HANDLE_SIZE,
    height: HANDLE_SIZE,
  });
  const handles: NodeHandle[] = [];
  if (stage !== "source") handles.push(handle("target", Position.Top, -HANDLE_SIZE / 2));
  if (stage !== "sink") handles.push(handle("source", Position.Bottom, ESTIMATED_HEIGHT - HANDLE_SIZE / 2));
  return { handles, initialWidth: NODE_WIDTH, initialHeight: ESTIMATED_HEIGHT };
}

/** The node without its predicted handles, once React Flow has measured it and knows the real ones. */
export function withoutPrediction(node: StepNode): StepNode {
  const measured = { ...node };
  delete measured.handles;
  return measured;
}
