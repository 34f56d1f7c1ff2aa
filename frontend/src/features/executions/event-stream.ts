/** Server-Sent Events over fetch: EventSource cannot send the bearer token, so the stream is read by hand,
 * parsed as the HTML spec says, and resumed with `Last-Event-ID` after a dropped connection. */

export interface ServerEvent {
  event: string;
  data: string;
  id: string | null;
}

export interface EventParser {
  push(chunk: string): void;
  readonly lastEventId: string | null;
  readonly retryMs: number | null;
}

/** A push parser: feed it text as it arrives, it calls `onEvent` for each complete event. */
export function createEventParser(onEvent: (event: ServerEvent) => void): EventParser {
  let buffer = "";
  let data: string[] = [];
  let eventType = "";
  let lastEventId: string | null = null;
  let retryMs: number | null = null;
  let sawCarriageReturn = false;

  function dispatch() {
    if (data.length > 0) onEvent({ event: eventType || "message", data: data.join("\n"), id: lastEventId });
    data = [];
    eventType = "";
  }

  function line(text: string) {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") eventType = value;
    else if (field === "id" && !value.includes("\0")) lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) retryMs = Number(value);
  }

  return {
    push(chunk) {
      // A "\r\n" split across two chunks must count as one line break.
      if (sawCarriageReturn && chunk.startsWith("\n")) chunk = chunk.slice(1);
      sawCarriageReturn = chunk.endsWith("\r");
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      for (const text of lines) line(text);
    },
    get lastEventId() {
      return lastEventId;
    },
    get retryMs() {
      return retryMs;
    },
  };
}

export class StreamError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`The event stream answered ${status}.`);
  }
}

export interface FollowOptions {
  url: string;
  /** Headers for each (re)connection, read afresh so a refreshed token is used. */
  headers: () => Record<string, string>;
  onEvent: (event: ServerEvent) => void;
  /** The stream is over after this event (the server closes it too, but a dropped connection must not resume). */
  isLast: (event: ServerEvent) => boolean;
  /** Called once on a 401; resolves true when a new token is available. */
  onUnauthorized?: () => Promise<boolean>;
  onConnectionChange?: (connected: boolean) => void;
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** How long to wait before reconnecting unless the server sent `retry:`. */
  retryMs?: number;
  maxRetries?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Read the stream until its last event, reconnecting (with the last event id) when the connection drops. */
export async function followEventStream(options: FollowOptions): Promise<void> {
  const { signal, onEvent, isLast } = options;
  const fetchImpl = options.fetch ?? fetch;
  let lastEventId: string | null = null;
  let retryMs = options.retryMs ?? 1_000;
  let failures = 0;
  let refreshed = false;
  let finished = false;

  while (!signal.aborted && !finished) {
    const headers: Record<string, string> = { Accept: "text/event-stream", ...options.headers() };
    if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
    let parser: EventParser | null = null;
    try {
      const response = await fetchImpl(options.url, { headers, signal, cache: "no-store" });
      if (response.status === 401 && !refreshed && options.onUnauthorized) {
        refreshed = true;
        if (await options.onUnauthorized()) continue;
      }
      if (!response.ok || !response.body) {
        const body: unknown = await response.json().catch(() => null);
        throw new StreamError(response.status, body);
      }
      options.onConnectionChange?.(true);
      parser = createEventParser((event) => {
        failures = 0;
        onEvent(event);
        if (isLast(event)) finished = true;
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      while (!finished) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      if (finished) await reader.cancel().catch(() => undefined);
    } catch (error) {
      if (signal.aborted) return;
      // Client errors (not found, forbidden) will not get better by asking again.
      if (error instanceof StreamError && error.status >= 400 && error.status < 500) throw error;
      failures += 1;
      if (failures > (options.maxRetries ?? 10)) throw error;
    } finally {
      // Kept even when the connection broke mid-stream: the next one resumes after the last event seen.
      lastEventId = parser?.lastEventId ?? lastEventId;
      retryMs = parser?.retryMs ?? retryMs;
      options.onConnectionChange?.(false);
    }
    if (!finished) await sleep(retryMs * Math.min(failures + 1, 10), signal);
  }
}
