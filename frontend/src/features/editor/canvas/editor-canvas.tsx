"use client";

/** The canvas: steps and connections, drop from the palette, refused connections explained, minimap, controls. */
import {
  Background,
  Controls,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type IsValidConnection,
} from "@xyflow/react";
import { memo, useCallback, useState, type DragEvent } from "react";

import { useEditorStore } from "../store/editor-store";
import { connectionProblem } from "../store/rules";
import type { StepNode } from "../types";
import { useOpeningView } from "./opening-view";
import { Overview } from "./overview";
import { nodeTypes } from "./step-node";

export const DRAG_TYPE = "application/x-scrapeflow-node";

const stageOf = (kind: string) => useEditorStore.getState().catalogue[kind]?.category;

const isValidConnection: IsValidConnection = (connection) => {
  const { nodes, edges } = useEditorStore.getState();
  return connectionProblem(connection, nodes, edges, stageOf) === null;
};

export const EditorCanvas = memo(function EditorCanvas() {
  const nodes = useEditorStore((state) => state.nodes);
  const edges = useEditorStore((state) => state.edges);
  const onNodesChange = useEditorStore((state) => state.onNodesChange);
  const onEdgesChange = useEditorStore((state) => state.onEdgesChange);
  const [refusal, setRefusal] = useState<string | null>(null);
  const flow = useReactFlow<StepNode, Edge>();
  useOpeningView();

  const onConnect = useCallback((connection: Connection) => {
    setRefusal(useEditorStore.getState().connect(connection));
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const kind = event.dataTransfer.getData(DRAG_TYPE);
      if (!kind) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX - 130, y: event.clientY - 20 });
      useEditorStore.getState().addNode(kind, position);
    },
    [flow],
  );

  return (
    <div className="relative h-full w-full" onDragOver={(event) => event.preventDefault()} onDrop={onDrop}>
      <ReactFlow<StepNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onConnectStart={() => setRefusal(null)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        onlyRenderVisibleElements
        minZoom={0.05}
        defaultEdgeOptions={{ type: "smoothstep" }}
        proOptions={{ hideAttribution: true }}
        aria-label="Bot canvas"
      >
        <Background gap={20} />
        <Controls />
        <Overview stageOf={stageOf} label="Overview of the bot" />
      </ReactFlow>
      <p
        role="status"
        aria-live="polite"
        className="pointer-events-none absolute top-3 left-1/2 -translate-x-1/2"
      >
        {refusal ? (
          <span className="rounded-md bg-destructive px-3 py-1.5 text-xs text-white shadow">{refusal}</span>
        ) : null}
      </p>
    </div>
  );
});
