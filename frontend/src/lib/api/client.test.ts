import { describe, expect, it } from "vitest";

import { errorMessage } from "./client";

describe("errorMessage", () => {
  it("reads the backend's error envelope", () => {
    expect(errorMessage({ error: { code: "NOT_FOUND", message: "No such bot." } })).toBe("No such bot.");
  });

  it("reads FastAPI's plain detail", () => {
    expect(errorMessage({ detail: "Not authenticated" })).toBe("Not authenticated");
  });

  it("falls back to a generic sentence", () => {
    expect(errorMessage(undefined)).toMatch(/something went wrong/i);
  });
});
