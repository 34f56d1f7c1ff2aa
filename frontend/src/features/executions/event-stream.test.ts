import { describe, expect, it, vi } from "vitest";

import { createEventParser, followEventStream, StreamError, type ServerEvent } from "./event-stream";

function parse(chunks: string[]) {
  const events: ServerEvent[] = [];
  const parser = createEventParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, parser };
}

function streamOf(chunks: string[], { breakAfter = false } = {}): Response {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  // Chunks are handed out one read at a time, so the reader sees them all before the connection breaks.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = queue.shift();
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (breakAfter) controller.error(new TypeError("network error"));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

describe("createEventParser", () => {
  it("parses events split across chunks, with ids, multi-line data, comments and retry", () => {
    const { events, parser } = parse([
      ": execution events\nretry: 1500\n\n",
      'event: stage\nid: 4\ndata: {"stage":',
      '"scraping"}\n\nevent: counters\r\ndata: line one\r',
      "\ndata: line two\r\n\r\n",
      "data: no type\n\n",
    ]);
    expect(events).toEqual([
      { event: "stage", data: '{"stage":"scraping"}', id: "4" },
      { event: "counters", data: "line one\nline two", id: "4" },
      { event: "message", data: "no type", id: "4" },
    ]);
    expect(parser.retryMs).toBe(1500);
    expect(parser.lastEventId).toBe("4");
  });

  it("waits for the blank line before dispatching", () => {
    const { events } = parse(["event: end\ndata: {}\n"]);
    expect(events).toEqual([]);
  });
});

describe("followEventStream", () => {
  it("resumes after the last event id when the connection drops, and stops at the last event", async () => {
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(
        streamOf(["id: 1\nevent: stage\ndata: a\n\n", "id: 2\nevent: log\ndata: b\n\n"], {
          breakAfter: true,
        }),
      )
      .mockResolvedValueOnce(
        streamOf(["id: 3\nevent: status\ndata: c\n\nevent: end\ndata: {}\n\n", "event: extra\ndata: x\n\n"]),
      );
    const seen: string[] = [];
    await followEventStream({
      url: "/api/v1/executions/e1/events",
      headers: () => ({ Authorization: "Bearer t" }),
      onEvent: (event) => seen.push(`${event.event}:${event.data}`),
      isLast: (event) => event.event === "end",
      signal: new AbortController().signal,
      fetch: fetchMock,
      retryMs: 1,
    });
    expect(seen).toEqual(["stage:a", "log:b", "status:c", "end:{}"]);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const first = fetchMock.mock.calls[0][1]?.headers as Record<string, string>;
    const second = fetchMock.mock.calls[1][1]?.headers as Record<string, string>;
    expect(first["Last-Event-ID"]).toBeUndefined();
    expect(first.Authorization).toBe("Bearer t");
    expect(second["Last-Event-ID"]).toBe("2");
  });

  it("refreshes the token once on 401 and uses the new one", async () => {
    let token = "old";
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(new Response(null, { status: 401 }))
      .mockResolvedValueOnce(streamOf(["event: end\ndata: {}\n\n"]));
    await followEventStream({
      url: "/events",
      headers: () => ({ Authorization: `Bearer ${token}` }),
      onEvent: () => undefined,
      isLast: (event) => event.event === "end",
      onUnauthorized: async () => {
        token = "new";
        return true;
      },
      signal: new AbortController().signal,
      fetch: fetchMock,
      retryMs: 1,
    });
    expect((fetchMock.mock.calls[1][1]?.headers as Record<string, string>).Authorization).toBe("Bearer new");
  });

  it("gives up at once on a client error", async () => {
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockResolvedValue(Response.json({ error: { message: "Execution not found." } }, { status: 404 }));
    await expect(
      followEventStream({
        url: "/events",
        headers: () => ({}),
        onEvent: () => undefined,
        isLast: () => false,
        signal: new AbortController().signal,
        fetch: fetchMock,
        retryMs: 1,
      }),
    ).rejects.toBeInstanceOf(StreamError);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
