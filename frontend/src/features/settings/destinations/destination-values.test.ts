import { describe, expect, it } from "vitest";

import {
  destinationSchema,
  emptyValues,
  toCreate,
  toUpdate,
  type DestinationValues,
} from "./destination-values";

const values = (patch: Partial<DestinationValues>): DestinationValues => ({
  ...emptyValues(),
  name: "Out",
  ...patch,
});

describe("destination form values", () => {
  it("needs the fields of the chosen type", () => {
    const result = destinationSchema.safeParse(values({ type: "email", to: "ops@example.com, nope" }));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toContain(
      "One of the addresses is not valid.",
    );
    expect(destinationSchema.safeParse(values({ type: "webhook", url: "ftp://x" })).success).toBe(false);
    expect(
      destinationSchema.safeParse(values({ type: "webhook", url: "https://example.com/h" })).success,
    ).toBe(true);
  });

  it("lets an edit keep stored secrets by leaving them blank, but not a new destination", () => {
    const sheets = values({ type: "google_sheets", spreadsheet: "abc", credentials: "" });
    expect(destinationSchema.safeParse(sheets).success).toBe(false);
    expect(destinationSchema.safeParse({ ...sheets, editing: true }).success).toBe(true);
    expect(toUpdate({ ...sheets, editing: true })).not.toHaveProperty("credentials");
  });

  it("builds each type's create body", () => {
    expect(toCreate(values({ type: "email", to: "a@example.com,  b@example.com" }))).toEqual({
      type: "email",
      body: {
        name: "Out",
        events: ["execution.succeeded", "execution.failed"],
        to: ["a@example.com", "b@example.com"],
      },
    });
    const sheets = toCreate(
      values({
        type: "google_sheets",
        spreadsheet: "abc",
        mode: "upsert",
        keyColumn: "url",
        credentials: '{"type":"service_account"}',
      }),
    );
    expect(sheets).toMatchObject({
      type: "google_sheets",
      body: {
        spreadsheet: "abc",
        worksheet: "Sheet1",
        mode: "upsert",
        key_column: "url",
        credentials: { type: "service_account" },
      },
    });
  });
});
