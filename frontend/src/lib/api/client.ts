/** The typed API client: same-origin requests (the web app proxies /api to the API), bearer token, organization
 * header, and one silent refresh through the HttpOnly refresh cookie when the access token has expired. */
import createClient, { type Middleware } from "openapi-fetch";

import type { paths } from "./schema";
import { useSession } from "./session";

const REFRESH_PATH = "/api/v1/auth/refresh";

let refreshing: Promise<string | null> | null = null;

/** Exchange the refresh cookie for a new access token; concurrent callers share one request. */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= fetch(REFRESH_PATH, { method: "POST", credentials: "same-origin" })
    .then(async (response) => {
      const token = response.ok ? ((await response.json()) as { access_token: string }).access_token : null;
      useSession.getState().setAccessToken(token);
      return token;
    })
    .catch(() => null)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function authorize(request: Request, token: string | null): Request {
  const { orgId } = useSession.getState();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  if (orgId && !request.headers.has("X-Org-Id")) request.headers.set("X-Org-Id", orgId);
  return request;
}

const retries = new WeakMap<Request, Request>();

const auth: Middleware = {
  onRequest({ request }) {
    retries.set(request, request.clone());
    return authorize(request, useSession.getState().accessToken);
  },
  async onResponse({ request, response }) {
    const original = retries.get(request);
    if (response.status !== 401 || !original || request.url.endsWith(REFRESH_PATH)) return response;
    const token = await refreshAccessToken();
    return token ? fetch(authorize(original, token)) : response;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(auth);

/** An API error's message, from the backend's `{error: {code, message}}` envelope or FastAPI's `detail`. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object") {
    const body = error as { error?: { message?: string }; detail?: unknown; message?: string };
    if (body.error?.message) return body.error.message;
    if (typeof body.detail === "string") return body.detail;
    if (body.message) return body.message;
  }
  return "Something went wrong. Please try again.";
}
