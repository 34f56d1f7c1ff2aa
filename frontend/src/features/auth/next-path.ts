/** Where to go after signing in: only a path on this site, so `?next=` cannot send anyone elsewhere. */
export const DEFAULT_NEXT = "/bots";

export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return DEFAULT_NEXT;
  return next;
}

/** Messages for the `?error=` codes the API's OAuth callback sends back to /login. */
const OAUTH_ERRORS: Record<string, string> = {
  oauth_cancelled: "The sign-in was cancelled.",
  oauth_state_missing: "The sign-in took too long or was started in another tab. Please try again.",
  oauth_state_invalid: "The sign-in took too long. Please try again.",
  oauth_state_mismatch: "The sign-in could not be verified. Please try again.",
  oauth_email_unverified: "Your account's email is not verified with the provider.",
  account_disabled: "This account is disabled.",
};

export function oauthErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return OAUTH_ERRORS[code] ?? "Signing in with that provider did not work. Please try again.";
}

/** Carries `?next=` between the sign-in and register screens, leaving the default out of the address. */
export function withNext(path: string, next: string): string {
  return next === DEFAULT_NEXT ? path : `${path}?next=${encodeURIComponent(next)}`;
}
