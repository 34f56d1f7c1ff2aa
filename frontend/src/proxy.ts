/** Sends the browser's /api requests on to the ScrapeFlow API, so the web app and the API share one origin and
 * the refresh cookie stays first-party. The API's address is read at run time (`SCRAPEFLOW_API_URL`). */
import { NextResponse, type NextRequest } from "next/server";

const API_URL = process.env.SCRAPEFLOW_API_URL ?? "http://127.0.0.1:8000";

/** Live execution events (Server-Sent Events), which must reach the browser event by event. */
function isEventStream(request: NextRequest): boolean {
  return (
    request.nextUrl.pathname.endsWith("/events") ||
    (request.headers.get("accept") ?? "").includes("text/event-stream")
  );
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const target = new URL(pathname + search, API_URL);
  if (!isEventStream(request)) return NextResponse.rewrite(target);
  // The server gzips what it proxies when the browser accepts it, and a gzip stream holds events back until
  // the stream ends; without Accept-Encoding the stream passes through as the API writes it.
  const headers = new Headers(request.headers);
  headers.delete("accept-encoding");
  return NextResponse.rewrite(target, { request: { headers } });
}

export const config = { matcher: "/api/:path*" };
