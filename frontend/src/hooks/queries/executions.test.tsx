import { renderHook, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";

import { stubFetch } from "@/features/executions/testing";

import { useExecuteBot, useExecutions } from "./executions";
import { useSchedulePreview } from "./schedules";

function wrapper() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return function Wrapper({ children }: { children: ReactNode }) {
    return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  };
}

const execution = (id: string, status: string) => ({
  id,
  bot_id: "b1",
  status,
  created_at: "2026-11-22T10:00:00Z",
});

describe("execution hooks", () => {
  it("sends the filters and follows the cursor", async () => {
    const { requests } = stubFetch((request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/api/v1/executions") return undefined;
      return url.searchParams.get("cursor")
        ? Response.json({ items: [execution("e2", "failed")], next_cursor: null })
        : Response.json({ items: [execution("e1", "failed")], next_cursor: "c1" });
    });
    const { result } = renderHook(() => useExecutions({ botId: "b1", status: "failed" }, 1), {
      wrapper: wrapper(),
    });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    const first = new URL(requests[0].url);
    expect(Object.fromEntries(first.searchParams)).toEqual({ bot_id: "b1", status: "failed", limit: "1" });
    const next = await result.current.fetchNextPage();
    expect(next.data?.pages.map((page) => page.items[0].id)).toEqual(["e1", "e2"]);
    expect(new URL(requests[1].url).searchParams.get("cursor")).toBe("c1");
    expect(next.hasNextPage).toBe(false);
  });

  it("runs a bot with a POST to its execute endpoint", async () => {
    const { requests } = stubFetch((request) =>
      request.method === "POST" && request.url.endsWith("/api/v1/bots/b1/execute")
        ? Response.json(execution("e9", "queued"), { status: 202 })
        : undefined,
    );
    const { result } = renderHook(() => useExecuteBot(), { wrapper: wrapper() });
    const started = await result.current.mutateAsync("b1");
    expect(started.id).toBe("e9");
    expect(requests).toHaveLength(1);
  });

  it("surfaces the backend's validation error from the schedule preview", async () => {
    stubFetch(() =>
      Response.json({ error: { code: "cron_too_frequent", message: "Too often." } }, { status: 422 }),
    );
    const { result } = renderHook(() => useSchedulePreview("* * * * *", "UTC"), { wrapper: wrapper() });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(result.current.error).toEqual({ error: { code: "cron_too_frequent", message: "Too often." } });
  });
});
