/** Checks a selector on a real page with the backend's test run: how many elements match and the first value. */
import type { PickResult } from "./index";

export function selectorType(selector: string): "css" | "xpath" {
  return /^\(*\//.test(selector.trim()) ? "xpath" : "css";
}

/** A throwaway workflow: Start on the page, then read every match of the selector. */
export function probeWorkflow(url: string, selector: string) {
  return {
    nodes: [
      { id: "start", type: "start", position: { x: 0, y: 0 }, data: { urls: [url] } },
      {
        id: "probe",
        type: "extract",
        position: { x: 0, y: 150 },
        data: {
          mode: "single",
          fields: [
            { name: "match", selector, selector_type: selectorType(selector), type: "text", multiple: true },
          ],
        },
      },
    ],
    edges: [{ id: "edge", source: "start", target: "probe" }],
  };
}

interface ProbeRun {
  rows?: Record<string, unknown>[];
  nodes?: { node_id: string; rows?: Record<string, unknown>[] | null; error?: string | null }[];
  error?: { message: string } | null;
}

export function readProbe(selector: string, run: ProbeRun): PickResult | string {
  if (run.error) return run.error.message;
  const node = run.nodes?.find((item) => item.node_id === "probe");
  if (node?.error) return node.error;
  const value = (node?.rows ?? run.rows ?? [])[0]?.match;
  const matches = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const type = selectorType(selector);
  return {
    css: type === "css" ? selector : "",
    xpath: type === "xpath" ? selector : "",
    count: matches.length,
    sample: matches.length ? String(matches[0]).slice(0, 200) : "",
  };
}
