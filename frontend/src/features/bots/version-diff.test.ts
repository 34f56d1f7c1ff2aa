import { describe, expect, it } from "vitest";

import { diffLines, diffVersions, foldUnchanged, stableJson } from "./version-diff";

const base = {
  name: "Prices",
  description: "",
  start_url: "https://shop.test/",
  workflow_json: {
    nodes: [
      { id: "start", type: "start", data: { urls: ["https://shop.test/"] } },
      { id: "extract", type: "extract", data: { mode: "list", fields: [{ name: "title", selector: "h2" }] } },
    ],
    edges: [{ id: "e1", source: "start", target: "extract" }],
  },
};

describe("version diff", () => {
  it("prints documents with sorted keys, so key order is no change", () => {
    expect(stableJson({ b: 1, a: { d: 2, c: 3 } })).toBe(stableJson({ a: { c: 3, d: 2 }, b: 1 }));
    expect(diffVersions(base, structuredClone(base)).every((line) => line.kind === "same")).toBe(true);
  });

  it("shows a changed selector as one removed and one added line", () => {
    const current = structuredClone(base);
    current.workflow_json.nodes[1].data.fields![0].selector = "h3.title";
    current.name = "Prices v2";
    const changes = diffVersions(base, current).filter((line) => line.kind !== "same");
    expect(changes).toEqual([
      { kind: "removed", text: '  "name": "Prices",' },
      { kind: "added", text: '  "name": "Prices v2",' },
      { kind: "removed", text: '              "selector": "h2"' },
      { kind: "added", text: '              "selector": "h3.title"' },
    ]);
  });

  it("finds insertions in the middle without marking the rest", () => {
    const lines = diffLines(["a", "b", "c", "d"], ["a", "b", "x", "c", "d"]);
    expect(lines.map((line) => `${line.kind[0]}${line.text}`)).toEqual(["sa", "sb", "ax", "sc", "sd"]);
    expect(diffLines(["a", "b"], []).map((line) => line.kind)).toEqual(["removed", "removed"]);
  });

  it("folds long unchanged runs around the changes", () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index}`);
    const after = [...before];
    after[10] = "changed";
    const chunks = foldUnchanged(diffLines(before, after), 2);
    expect(chunks[0]).toEqual({ kind: "skipped", count: 8 });
    expect(chunks.filter((chunk) => chunk.kind !== "skipped")).toHaveLength(6);
    expect(chunks.at(-1)).toEqual({ kind: "skipped", count: 7 });
  });
});
