/** Sends the browser's /api requests on to the ScrapeFlow API, so the web app and the API share one origin and
 * the refresh cookie stays first-party. The API's address is read at run time (`SCRAPEFLOW_API_URL`). */
import { NextResponse, type NextRequest } from "next/server";

const API_URL = process.env.SCRAPEFLOW_API_URL ?? "http://127.0.0.1:8000";

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  return NextResponse.rewrite(new URL(pathname + search, API_URL));
}

export const config = { matcher: "/api/:path*" };
