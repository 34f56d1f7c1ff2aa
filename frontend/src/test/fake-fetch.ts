/** Replaces the global `fetch` (and `Request`) with one that forwards to a swappable handler (see `fakeApi`). Call it inside
 * `vi.hoisted` so it runs before the API client captures `fetch`. */
import { vi } from "vitest";

type Handler = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export function installFakeFetch() {
  const network: { handler: Handler } = {
    handler: async () => new Response(JSON.stringify({ detail: "No fake API installed" }), { status: 500 }),
  };
  // Browsers resolve a relative URL against the page; Node's Request does not, and the client uses same-origin paths.
  const NodeRequest = globalThis.Request;
  class PageRequest extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" ? new URL(input, window.location.origin) : input, init);
    }
  }
  vi.stubGlobal("Request", PageRequest);
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) => network.handler(input, init));
  return network;
}
