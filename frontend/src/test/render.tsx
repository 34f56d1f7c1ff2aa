/** Test helpers: render inside a fresh query client, and a fake `fetch` that answers by method and path. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";

export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return { client, ...render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>) };
}

export interface Route {
  status?: number;
  body?: unknown;
}
export type Routes = Record<string, Route | ((request: Request) => Route)>;

/** Answers requests by "METHOD /path" (query string ignored) and records them; unknown routes get 404. Install it
 * with `network.handler = fakeApi(routes).handler` where `network` comes from `vi.hoisted(installFakeFetch)`: the
 * API client keeps the `fetch` it saw when it was created, so the stub must exist before any module loads. */
export function fakeApi(routes: Routes) {
  const calls: { key: string; body: unknown; headers: Headers }[] = [];
  const handler = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request =
      input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url, "http://localhost");
    const key = `${request.method} ${url.pathname}`;
    const text = await request.clone().text();
    calls.push({ key, headers: request.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
    const entry = routes[key];
    const route =
      typeof entry === "function"
        ? entry(request)
        : (entry ?? { status: 404, body: { detail: "Not Found" } });
    const status = route.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(route.body ?? {}), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { calls, handler, called: (key: string) => calls.filter((call) => call.key === key) };
}
