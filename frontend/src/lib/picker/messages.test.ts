import { describe, expect, it } from "vitest";

import { BRIDGE_SOURCE, bridgeMessage, parseBridgeEvent, parseBridgeMessage, randomToken } from "./messages";

const APP = "https://app.scrapeflow.test";
const NONCE = "n0nce-0123456789abcdef";
const expectation = { origin: APP, expectedOrigin: APP, nonce: NONCE };

const start = bridgeMessage({
  type: "START_SELECTION",
  nonce: NONCE,
  requestId: "req_0123456789",
  url: "https://shop.example/products?page=1",
  mode: "list",
});

const result = bridgeMessage({
  type: "SELECTION_RESULT",
  nonce: NONCE,
  requestId: "req_0123456789",
  url: "https://shop.example/products?page=1",
  result: {
    css: "[data-product-id] a",
    xpath: "//*[@data-product-id]//a",
    count: 24,
    sample: { text: "Lamp", value: "Lamp", attribute: { name: "href", value: "https://shop.example/p/1" } },
    fields: [
      { name: "price", css: ".price", xpath: './/*[contains(@class,"price")]', sample: { value: "€1" } },
    ],
  },
});

describe("parseBridgeMessage", () => {
  it("accepts every well-formed message type", () => {
    expect(parseBridgeMessage(start, expectation)).toEqual(start);
    expect(parseBridgeMessage(result, expectation)).toEqual(result);
    const ping = bridgeMessage({ type: "PING", nonce: NONCE });
    expect(parseBridgeMessage(ping, expectation)?.type).toBe("PING");
    const present = bridgeMessage({ type: "EXTENSION_PRESENT", nonce: NONCE, extensionVersion: "1.0.0" });
    expect(parseBridgeMessage(present, expectation)?.type).toBe("EXTENSION_PRESENT");
    const cancelled = bridgeMessage({
      type: "SELECTION_CANCELLED",
      nonce: NONCE,
      requestId: "req_0123456789",
      reason: "user",
    });
    expect(parseBridgeMessage(cancelled, expectation)?.type).toBe("SELECTION_CANCELLED");
  });

  it("ignores messages from another origin", () => {
    expect(parseBridgeMessage(start, { ...expectation, origin: "https://evil.example" })).toBeNull();
    expect(parseBridgeMessage(start, { ...expectation, origin: "null" })).toBeNull();
    expect(parseBridgeMessage(start, { ...expectation, expectedOrigin: "" })).toBeNull();
    expect(
      parseBridgeEvent({ data: start, origin: "http://app.scrapeflow.test" }, { expectedOrigin: APP }),
    ).toBeNull();
    expect(parseBridgeEvent({ data: start, origin: APP }, { expectedOrigin: APP })).toEqual(start);
  });

  it("ignores a wrong or missing nonce", () => {
    expect(parseBridgeMessage({ ...result, nonce: "other-0123456789" }, expectation)).toBeNull();
    const withoutNonce: Record<string, unknown> = { ...result };
    delete withoutNonce.nonce;
    expect(parseBridgeMessage(withoutNonce, expectation)).toBeNull();
    // The extension learns the nonce from START_SELECTION, so it parses without expecting one.
    expect(parseBridgeMessage(start, { origin: APP, expectedOrigin: APP })).toEqual(start);
  });

  it.each([
    ["not an object", "START_SELECTION"],
    ["null", null],
    ["an array", [start]],
    ["another source", { ...start, source: "other" }],
    ["another version", { ...start, version: 2 }],
    ["an unknown type", { ...start, type: "EVAL" }],
    ["a bad mode", { ...start, mode: "all" }],
    ["a javascript: url", { ...start, url: "javascript:alert(1)" }],
    ["a short request id", { ...start, requestId: "x" }],
    ["a result without css", { ...result, result: { ...result.result, css: "" } }],
    ["a negative count", { ...result, result: { ...result.result, count: -1 } }],
    ["a fractional count", { ...result, result: { ...result.result, count: 1.5 } }],
    ["a sample without value", { ...result, result: { ...result.result, sample: { text: "x" } } }],
    ["a malformed field", { ...result, result: { ...result.result, fields: [{ name: "x" }] } }],
    ["a huge selector", { ...result, result: { ...result.result, css: "a".repeat(20_000) } }],
    ["an unknown cancel reason", { ...start, type: "SELECTION_CANCELLED", reason: "because" }],
  ])("ignores %s", (_label, data) => {
    expect(parseBridgeMessage(data, expectation)).toBeNull();
  });

  it("makes unguessable tokens the validator accepts", () => {
    const token = randomToken();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(token).not.toBe(randomToken());
    expect(
      parseBridgeMessage(
        { source: BRIDGE_SOURCE, version: 1, type: "PING", nonce: token },
        { origin: APP, expectedOrigin: APP, nonce: token },
      ),
    ).not.toBeNull();
  });
});
