import { beforeEach, describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "../types";
import { templateDocument } from "../templates";
import { toDocument } from "./document";
import { useEditorStore } from "./editor-store";

const info = (type: string, category: NodeTypeInfo["category"]): NodeTypeInfo => ({
  type,
  category,
  title: type,
  description: "",
  needs_browser: false,
  data_schema: {},
  example: { example_of: type },
});

const CATALOGUE = [
  info("start", "source"),
  info("map", "source"),
  info("click", "page"),
  info("extract", "page"),
  info("dedupe", "post"),
  info("export_webhook", "sink"),
  info("export_slack", "sink"),
];

const store = () => useEditorStore.getState();
const connect = (source: string, target: string) =>
  store().connect({ source, target, sourceHandle: null, targetHandle: null });

beforeEach(() => {
  store().setCatalogue(CATALOGUE);
  store().load({ nodes: [], edges: [] });
});

describe("editor store", () => {
  it("adds a node with the catalogue's example values, selected", () => {
    const id = store().addNode("click");
    const node = store().nodes.find((item) => item.id === id)!;
    expect(node.data).toEqual({ kind: "click", values: { example_of: "click" } });
    expect(node.selected).toBe(true);
    expect(store().revision).toBe(1);
  });

  it("adds a step after another and connects it in one undo step, unless the language forbids it", () => {
    const start = store().addNode("start");
    const click = store().addNode("click", undefined, undefined, start);
    expect(store().edges).toMatchObject([{ source: start, target: click }]);
    store().addNode("map", undefined, undefined, click);
    expect(store().edges).toHaveLength(1);
    store().undo();
    store().undo();
    expect(store().nodes.map((node) => node.id)).toEqual([start]);
  });

  it("gives a new step predicted handles until the canvas has measured it", () => {
    const start = store().addNode("start");
    const sink = store().addNode("export_webhook", undefined, undefined, start);
    const handles = (id: string) => store().nodes.find((node) => node.id === id)!.handles;
    expect(handles(start)?.map((handle) => handle.type)).toEqual(["source"]);
    expect(handles(sink)).toMatchObject([{ type: "target", position: "top", x: 124, y: -6 }]);
    const revision = store().revision;
    store().onNodesChange([{ type: "dimensions", id: sink, dimensions: { width: 260, height: 80 } }]);
    expect(handles(sink)).toBeUndefined();
    expect(store().nodes.find((node) => node.id === sink)!.measured).toEqual({ width: 260, height: 80 });
    expect(handles(start)).toHaveLength(1);
    expect(store().revision).toBe(revision);
  });

  it("connects allowed steps and refuses what the bot language forbids", () => {
    const start = store().addNode("start");
    const click = store().addNode("click");
    const dedupe = store().addNode("dedupe");
    const hook = store().addNode("export_webhook");
    const slack = store().addNode("export_slack");
    const map = store().addNode("map");
    expect(connect(start, click)).toBeNull();
    expect(connect(click, start)).toMatch(/Nothing can lead into Start/);
    expect(connect(dedupe, click)).toMatch(/page step cannot come after a post step/);
    expect(connect(click, click)).toMatch(/itself/);
    expect(connect(click, map)).toMatch(/source step cannot come after a page step/);
    expect(connect(start, dedupe)).toMatch(/keep one path/);
    expect(connect(click, dedupe)).toBeNull();
    expect(connect(dedupe, hook)).toBeNull();
    expect(connect(dedupe, slack)).toBeNull(); // exports may fan out
    expect(connect(hook, slack)).toMatch(/Nothing can follow an export/);
    expect(store().edges).toHaveLength(4);
  });

  it("removes the selected nodes with their edges, and undo/redo restores them", () => {
    const start = store().addNode("start");
    const click = store().addNode("click");
    connect(start, click);
    store().select([click]);
    store().removeSelected();
    expect(store().nodes.map((node) => node.id)).toEqual([start]);
    expect(store().edges).toHaveLength(0);
    store().undo();
    expect(store().nodes).toHaveLength(2);
    expect(store().edges).toHaveLength(1);
    store().redo();
    expect(store().nodes).toHaveLength(1);
    store().undo();
    store().undo();
    expect(store().edges).toHaveLength(0);
    expect(store().nodes).toHaveLength(2);
  });

  it("coalesces quick edits of one node into one undo step", () => {
    const id = store().addNode("click");
    store().updateValues(id, { selector: "a" });
    store().updateValues(id, { selector: "ab" });
    expect(store().nodes[0].data.values).toEqual({ selector: "ab" });
    store().undo();
    expect(store().nodes[0].data.values).toEqual({ example_of: "click" });
  });

  it("copies and pastes the selection with new ids and the edges between them", () => {
    const start = store().addNode("start");
    const click = store().addNode("click");
    connect(start, click);
    store().select([start, click]);
    store().copy();
    store().paste();
    const { nodes, edges } = store();
    expect(nodes).toHaveLength(4);
    expect(new Set(nodes.map((node) => node.id)).size).toBe(4);
    const pasted = nodes.filter((node) => node.selected);
    expect(pasted.map((node) => node.data.kind)).toEqual(["start", "click"]);
    expect(edges).toHaveLength(2);
    expect(edges[1]).toMatchObject({ source: pasted[0].id, target: pasted[1].id });
    store().undo();
    expect(store().nodes).toHaveLength(2);
  });

  it("round-trips a template through the backend's document format", () => {
    const document = templateDocument("product-list", "https://shop.example/list");
    store().load(document);
    expect(store().nodes.map((node) => node.type)).toEqual(["step", "step", "step"]);
    expect(toDocument(store().nodes, store().edges)).toEqual(document);
    expect(document.nodes[0].data).toEqual({ urls: ["https://shop.example/list"] });
  });

  it("lays the steps out in layers down the longest path", () => {
    store().load(templateDocument("monitor"));
    store().autoLayout();
    const ys = store().nodes.map((node) => node.position.y);
    expect(ys).toEqual([0, 150, 300]);
    store().undo();
    expect(store().nodes).toHaveLength(3);
  });

  it("groups validation issues by node", () => {
    store().setIssues([
      { node_id: "a", field: null, code: "x", message: "one" },
      { node_id: "a", field: "selector", code: "y", message: "two" },
      { node_id: null, field: null, code: "missing_start", message: "three" },
    ]);
    expect(store().issuesByNode).toEqual({ a: ["one", "two"] });
  });
});
