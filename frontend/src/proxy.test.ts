import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";

import { proxy } from "./proxy";

const rewriteOf = (response: Response) => response.headers.get("x-middleware-rewrite");
const overridden = (response: Response) =>
  (response.headers.get("x-middleware-override-headers") ?? "").split(",").filter(Boolean);

describe("proxy", () => {
  it("sends an API request to the API with its query", () => {
    const response = proxy(new NextRequest("http://localhost:3000/api/v1/bots?q=shop&limit=5"));
    expect(rewriteOf(response)).toBe("http://127.0.0.1:8000/api/v1/bots?q=shop&limit=5");
    expect(overridden(response)).toEqual([]);
  });

  it("asks for an execution's events uncompressed so they stream", () => {
    const request = new NextRequest("http://localhost:3000/api/v1/executions/abc/events", {
      headers: { "accept-encoding": "gzip, br", authorization: "Bearer t", "last-event-id": "7" },
    });
    const response = proxy(request);
    expect(rewriteOf(response)).toBe("http://127.0.0.1:8000/api/v1/executions/abc/events");
    expect(overridden(response)).not.toContain("accept-encoding");
    expect(overridden(response)).toEqual(expect.arrayContaining(["authorization", "last-event-id"]));
  });

  it("treats any request accepting an event stream as one", () => {
    const request = new NextRequest("http://localhost:3000/api/v1/stream", {
      headers: { accept: "text/event-stream", "accept-encoding": "gzip" },
    });
    expect(overridden(proxy(request))).toEqual(["accept"]);
  });
});
