// Who is signed in to the web app: the popup uses the web app's own refresh cookie, as the web app does.

export type Account =
  { state: "signed-in"; name: string; email: string } | { state: "signed-out" } | { state: "unreachable" };

type Fetch = typeof fetch;

function isUser(value: unknown): value is { name: string; email: string } {
  if (typeof value !== "object" || value === null) return false;
  const user = value as Record<string, unknown>;
  return typeof user.email === "string" && typeof user.name === "string";
}

/**
 * The refresh cookie is HttpOnly and scoped to /api/v1/auth, so it is exchanged for a short-lived access token
 * (the extension holds host access to the web app's origin, which lets the browser send the cookie).
 * The token is used once and not stored.
 */
export async function loadAccount(webUrl: string, fetchImpl: Fetch = fetch): Promise<Account> {
  try {
    const refreshed = await fetchImpl(`${webUrl}/api/v1/auth/refresh`, {
      method: "POST",
      credentials: "include",
    });
    if (refreshed.status === 401 || refreshed.status === 403) return { state: "signed-out" };
    if (!refreshed.ok) return { state: "unreachable" };
    const token: unknown = await refreshed.json();
    const access = (token as { access_token?: unknown } | null)?.access_token;
    if (typeof access !== "string") return { state: "unreachable" };
    const me = await fetchImpl(`${webUrl}/api/v1/users/me`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    if (me.status === 401) return { state: "signed-out" };
    const user: unknown = me.ok ? await me.json() : null;
    return isUser(user)
      ? { state: "signed-in", name: user.name, email: user.email }
      : { state: "unreachable" };
  } catch {
    return { state: "unreachable" };
  }
}
