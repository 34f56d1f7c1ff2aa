/** Test helpers: a fresh query client around a component, and `fetch` stubbed at the network boundary.
 *
 * The API client keeps the `fetch` and `Request` it saw when it was loaded, so this module swaps them for
 * delegates when it is evaluated: import it before anything that imports the client. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";

let handler: typeof fetch = () => Promise.reject(new Error("fetch is not stubbed in this test"));

/** Same-origin paths (`/api/...`) resolve against the test page, as they do in a browser. */
class PageRequest extends Request {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, location.href) : input, init);
  }
}
globalThis.Request = PageRequest;
globalThis.fetch = (input, init) => handler(input, init);

export type Route = (request: Request) => Response | undefined | Promise<Response | undefined>;

/** Answer requests with the first route that returns a response; anything else is a 404 the test will notice. */
export function stubFetch(...routes: Route[]) {
  const requests: Request[] = [];
  const mock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request =
      input instanceof Request ? input : new Request(new URL(String(input), location.href), init);
    requests.push(request.clone());
    for (const route of routes) {
      const response = await route(request);
      if (response) return response;
    }
    return Response.json(
      { error: { code: "not_found", message: `No stub for ${request.url}` } },
      { status: 404 },
    );
  });
  handler = mock;
  return { mock, requests };
}

export function renderWithQueries(ui: ReactElement) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return { client, ...render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>) };
}
