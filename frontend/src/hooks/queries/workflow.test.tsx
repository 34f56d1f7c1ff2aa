import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

// The client keeps the fetch and Request it saw at import: put in a network boundary the tests can answer, and a
// Request that resolves same-origin paths ("/api/...") against an origin, as a browser does.
const network = vi.hoisted(() => {
  const boundary = {
    answer: (request: Request): Promise<Response> => Promise.reject(new Error(request.url)),
  };
  globalThis.fetch = ((input: Request) => boundary.answer(input)) as typeof fetch;
  const NodeRequest = globalThis.Request;
  globalThis.Request = class extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" ? new URL(input, "http://localhost") : input, init);
    }
  };
  return boundary;
});

import { useSession } from "@/lib/api/session";

import { applyEvent, useNodeTypes, useTestRun, useValidateWorkflow } from "./workflow";

function wrapper() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return function Wrapper({ children }: { children: ReactNode }) {
    return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  };
}

function stubFetch(body: unknown, status = 200) {
  const fetchMock = vi.fn(async (input: Request) => {
    void input;
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  network.answer = fetchMock;
  return fetchMock;
}

afterEach(() => vi.clearAllMocks());

describe("workflow hooks", () => {
  it("loads the node catalogue with the bearer token", async () => {
    useSession.setState({ accessToken: "token-1", orgId: "org-1" });
    const fetchMock = stubFetch([{ type: "start", category: "source" }]);
    const { result } = renderHook(() => useNodeTypes(), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.data).toHaveLength(1));
    const request = fetchMock.mock.calls[0][0];
    expect(request.url).toMatch(/\/api\/v1\/workflow\/node-types$/);
    expect(request.headers.get("Authorization")).toBe("Bearer token-1");
    expect(request.headers.get("X-Org-Id")).toBe("org-1");
  });

  it("validates a document", async () => {
    const fetchMock = stubFetch({
      valid: false,
      issues: [{ node_id: "a", field: null, code: "x", message: "m" }],
    });
    const { result } = renderHook(() => useValidateWorkflow(), { wrapper: wrapper() });
    const answer = await result.current.mutateAsync({ nodes: [], edges: [] });
    expect(answer.issues[0].message).toBe("m");
    const request = fetchMock.mock.calls[0][0];
    expect(request.url).toMatch(/\/api\/v1\/bots\/validate$/);
    expect(await request.json()).toEqual({ workflow_json: { nodes: [], edges: [] } });
  });

  it("tests a saved bot on its endpoint and an unsaved document on /bots/test", async () => {
    const fetchMock = stubFetch({ ok: true, nodes: [] });
    const { result } = renderHook(() => useTestRun(), { wrapper: wrapper() });
    await result.current.mutateAsync({ botId: "bot-1" });
    await result.current.mutateAsync({ workflow: { nodes: [] } });
    expect(fetchMock.mock.calls[0][0].url).toMatch(/\/api\/v1\/bots\/bot-1\/test$/);
    expect(fetchMock.mock.calls[1][0].url).toMatch(/\/api\/v1\/bots\/test$/);
  });

  it("throws the API's error envelope", async () => {
    stubFetch({ error: { code: "invalid_workflow", message: "Bad" } }, 422);
    const { result } = renderHook(() => useValidateWorkflow(), { wrapper: wrapper() });
    await expect(result.current.mutateAsync({})).rejects.toEqual({
      error: { code: "invalid_workflow", message: "Bad" },
    });
  });
});

describe("execution events", () => {
  it("turns events into progress", () => {
    const start = {
      status: "queued",
      stage: null,
      urlsFound: 0,
      pagesDone: 0,
      pagesFailed: 0,
      rows: 0,
      lastMessage: null,
      finished: false,
      error: null,
    };
    const counted = applyEvent(start, {
      event: "counters",
      data: JSON.stringify({ pages_done: 3, rows: 7, stage: "scrape" }),
      id: "4",
    });
    expect(counted).toMatchObject({ pagesDone: 3, rows: 7, stage: "scrape" });
    expect(applyEvent(counted, { event: "message", data: "not json", id: null })).toBe(counted);
    expect(applyEvent(counted, { event: "end", data: '{"status": "succeeded"}', id: "5" })).toMatchObject({
      finished: true,
      status: "succeeded",
    });
  });
});
