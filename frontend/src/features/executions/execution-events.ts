/** An execution's live events with the signed-in session: the bearer token and organization on each
 * (re)connection, one token refresh on a 401, and the stream over at its `end` event. */
import { refreshAccessToken } from "@/lib/api/client";
import { useSession } from "@/lib/api/session";

import { followEventStream, type FollowOptions } from "./event-stream";

function sessionHeaders(): Record<string, string> {
  const { accessToken, orgId } = useSession.getState();
  return {
    ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    ...(orgId ? { "X-Org-Id": orgId } : {}),
  };
}

export function followExecutionEvents(
  executionId: string,
  options: Pick<FollowOptions, "onEvent" | "onConnectionChange" | "signal">,
): Promise<void> {
  return followEventStream({
    url: `/api/v1/executions/${encodeURIComponent(executionId)}/events`,
    headers: sessionHeaders,
    onUnauthorized: async () => Boolean(await refreshAccessToken()),
    isLast: (event) => event.event === "end",
    ...options,
  });
}
