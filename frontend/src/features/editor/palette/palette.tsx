"use client";

/** The step palette from the node catalogue, grouped by stage and searchable. Drag a step onto the canvas, or
 * click it (Enter) to add it after the selected step. */
import { useReactFlow } from "@xyflow/react";
import { memo, useMemo, useState, type DragEvent } from "react";

import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";

import { DRAG_TYPE } from "../canvas/editor-canvas";
import { STAGE_COLORS } from "../canvas/step-node";
import { useEditorStore } from "../store/editor-store";
import { STAGE_ORDER, STAGE_TITLES, type NodeTypeInfo } from "../types";

/** Where the canvas shows flow coordinates: what `addStep` needs to bring a new step into view. */
export interface CanvasView {
  getViewport: () => { x: number; y: number; zoom: number };
  setCenter: (x: number, y: number, options?: { zoom?: number }) => Promise<boolean>;
}

const STEP_SIZE = { width: 260, height: 80 };

/** Pans (never zooms) to a step placed outside the visible part of the canvas. */
function reveal(view: CanvasView, position: { x: number; y: number }) {
  const canvas = document.querySelector(".react-flow")?.getBoundingClientRect();
  if (!canvas) return;
  const { x, y, zoom } = view.getViewport();
  const left = position.x * zoom + x;
  const top = position.y * zoom + y;
  const visible =
    left >= 0 &&
    top >= 0 &&
    left + STEP_SIZE.width * zoom <= canvas.width &&
    top + STEP_SIZE.height * zoom <= canvas.height;
  if (!visible) {
    void view.setCenter(position.x + STEP_SIZE.width / 2, position.y + STEP_SIZE.height / 2, { zoom });
  }
}

export function addStep(kind: string, view?: CanvasView) {
  const store = useEditorStore.getState();
  const selected = store.nodes.filter((node) => node.selected);
  const after = selected.length === 1 ? selected[0] : undefined;
  const position = after ? { x: after.position.x, y: after.position.y + 150 } : undefined;
  // Placed after the selected step, it is connected to it when the bot language allows.
  const id = store.addNode(kind, position, undefined, after?.id);
  const added = useEditorStore.getState().nodes.find((node) => node.id === id);
  // The canvas draws only the steps in view (a 300-step bot stays fast), so a step added off-screen is shown.
  if (view && added) reveal(view, added.position);
  return id;
}

export const Palette = memo(function Palette({ types }: { types: NodeTypeInfo[] }) {
  const view = useReactFlow();
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const shown = types.filter((type) =>
      [type.title, type.description, type.type].some((text) => text.toLowerCase().includes(needle)),
    );
    return STAGE_ORDER.map((stage) => ({
      stage,
      items: shown.filter((type) => type.category === stage),
    })).filter((group) => group.items.length);
  }, [types, query]);

  const onDragStart = (event: DragEvent, kind: string) => {
    event.dataTransfer.setData(DRAG_TYPE, kind);
    event.dataTransfer.effectAllowed = "move";
  };

  return (
    <nav aria-label="Steps" className="flex h-full flex-col gap-3 overflow-hidden">
      <Field label="Search steps" className="px-3 pt-3">
        <Input
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder="extract, click…"
        />
      </Field>
      <div className="flex-1 overflow-y-auto px-3 pb-3">
        {groups.length === 0 ? (
          <p className="text-sm text-muted-foreground">No step matches “{query}”.</p>
        ) : null}
        {groups.map(({ stage, items }) => (
          <section key={stage} className="mb-4">
            <h2 className="mb-1.5 text-xs font-semibold tracking-wide text-muted-foreground uppercase">
              {STAGE_TITLES[stage]}
            </h2>
            <ul className="grid gap-1.5">
              {items.map((type) => (
                <li key={type.type}>
                  <button
                    type="button"
                    draggable
                    onDragStart={(event) => onDragStart(event, type.type)}
                    onClick={() => addStep(type.type, view)}
                    className="flex w-full cursor-grab items-start gap-2 rounded-md border border-border bg-background p-2 text-left text-sm hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                    title={`${type.description} Drag onto the canvas, or press Enter to add.`}
                    data-node-type={type.type}
                  >
                    <span
                      aria-hidden
                      className={`mt-1.5 size-2 shrink-0 rounded-full ${STAGE_COLORS[stage]}`}
                    />
                    <span className="grid">
                      <span className="font-medium">{type.title}</span>
                      <span className="line-clamp-2 text-xs text-muted-foreground">{type.description}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </nav>
  );
});
