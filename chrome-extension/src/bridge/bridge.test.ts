import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { bridgeMessage, type StartSelectionMessage } from "../shared/picker";
import { installBridge, type Bridge } from "./bridge";

const ORIGIN = "http://localhost:3000";
const NONCE = "a1b2c3d4e5f60718";
const REQUEST = "req-0001";

function start(overrides: Record<string, unknown> = {}) {
  return bridgeMessage({
    type: "START_SELECTION",
    nonce: NONCE,
    requestId: REQUEST,
    url: "http://shop.test/products?page=1",
    mode: "list",
    ...overrides,
  } as Omit<StartSelectionMessage, "source" | "version">);
}

function post(data: unknown, origin = ORIGIN, source: Window | null = window): void {
  window.dispatchEvent(new MessageEvent("message", { data, origin, source }));
}

describe("bridge on the web app's page", () => {
  let bridge: Bridge;
  let forward: ReturnType<typeof vi.fn<(request: StartSelectionMessage) => void>>;
  let posted: ReturnType<typeof vi.fn<(message: unknown, target: string) => void>>;

  beforeEach(() => {
    forward = vi.fn<(request: StartSelectionMessage) => void>();
    posted = vi.fn<(message: unknown, target: string) => void>();
    vi.spyOn(window, "postMessage").mockImplementation(posted as unknown as Window["postMessage"]);
    bridge = installBridge({ window, expectedOrigin: ORIGIN, version: "1.2.3", forward });
  });

  afterEach(() => {
    bridge.dispose();
    vi.restoreAllMocks();
  });

  it("marks the page so the web app can tell the extension is installed", () => {
    expect(document.documentElement.dataset.scrapeflowExtension).toBe("1.2.3");
  });

  it("answers PING with EXTENSION_PRESENT to the web app's origin only, echoing the nonce", () => {
    post(bridgeMessage({ type: "PING", nonce: NONCE }));
    expect(posted).toHaveBeenCalledTimes(1);
    const [message, target] = posted.mock.calls[0] as [Record<string, unknown>, string];
    expect(target).toBe(ORIGIN);
    expect(message).toMatchObject({ type: "EXTENSION_PRESENT", nonce: NONCE, extensionVersion: "1.2.3" });
  });

  it("forwards a valid START_SELECTION", () => {
    post(start());
    expect(forward).toHaveBeenCalledWith(
      expect.objectContaining({ url: "http://shop.test/products?page=1" }),
    );
  });

  it.each([
    ["another origin", () => post(start(), "http://evil.test")],
    ["the web app's host on another port", () => post(start(), "http://localhost:3001")],
    ["a frame inside the page", () => post(start(), ORIGIN, null)],
    ["a malformed nonce", () => post(start({ nonce: "short" }))],
    ["a nonce with odd characters", () => post(start({ nonce: "<script>alert(1)</script>" }))],
    ["a non-http page URL", () => post(start({ url: "javascript:alert(1)" }))],
    ["an unknown mode", () => post(start({ mode: "everything" }))],
    ["a message without the envelope", () => post({ type: "START_SELECTION", nonce: NONCE })],
    ["a string", () => post("START_SELECTION")],
    ["a result posted by the page itself", () => post({ ...start(), type: "SELECTION_RESULT" })],
  ])("ignores a request from %s", (_, send) => {
    send();
    expect(forward).not.toHaveBeenCalled();
    expect(posted).not.toHaveBeenCalled();
  });

  it("delivers a result only for a request this page made", () => {
    post(start());
    const result = bridgeMessage({
      type: "SELECTION_RESULT",
      nonce: NONCE,
      requestId: REQUEST,
      url: "http://shop.test/products?page=1",
      result: { css: ".price", xpath: "//span", count: 12, sample: { value: "$1" }, fields: [] },
    });
    expect(bridge.deliver({ ...result, nonce: "ffffffffffffffff" })).toBe(false);
    expect(bridge.deliver({ ...result, requestId: "req-other" })).toBe(false);
    expect(posted).not.toHaveBeenCalled();
    expect(bridge.deliver(result)).toBe(true);
    expect(posted).toHaveBeenCalledWith(result, ORIGIN);
    // Answered once: a replay is dropped.
    expect(bridge.deliver(result)).toBe(false);
  });
});

describe("bridge on a page that is not the configured web app", () => {
  it("stays inert", () => {
    const listen = vi.fn();
    const fake = {
      location: { origin: "https://scrapeflow.other.example" },
      document,
      addEventListener: listen,
    } as unknown as Window;
    const forward = vi.fn();
    const bridge = installBridge({ window: fake, expectedOrigin: ORIGIN, version: "1.2.3", forward });
    expect(listen).not.toHaveBeenCalled();
    expect(document.documentElement.dataset.scrapeflowExtension).toBeUndefined();
    expect(bridge.deliver(start() as never)).toBe(false);
  });
});
