import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { fakeApi, renderWithClient } from "@/test/render";

import { DestinationWidget } from "./destination-widget";
import { widgetKind } from "./schema";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());

const destination = (id: string, name: string, type: string, isActive = true) => ({
  id,
  name,
  type,
  is_active: isActive,
  config: {},
  consecutive_failures: 0,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
  disabled_at: null,
  disabled_reason: null,
});

describe("DestinationWidget", () => {
  it("is the widget of an export step's destination_id", () => {
    expect(widgetKind("destination_id", { type: "string", format: "uuid" }, {})).toBe("destination");
  });

  it("offers the organization's destinations by name and sets the chosen id", async () => {
    network.handler = fakeApi({
      "GET /api/v1/exports/destinations": {
        body: {
          items: [
            destination("d1", "CRM hook", "webhook"),
            destination("d2", "Team sheet", "google_sheets", false),
          ],
          next_cursor: null,
        },
      },
    }).handler;
    const onChange = vi.fn();
    renderWithClient(
      <DestinationWidget
        name="destination_id"
        label="Destination"
        kind="destination"
        schema={{ type: "string" }}
        defs={{}}
        value={null}
        required
        onChange={onChange}
      />,
    );
    const select = screen.getByLabelText("Destination");
    expect(await screen.findByRole("option", { name: "CRM hook (webhook)" })).toBeInTheDocument();
    expect(screen.getByRole("option", { name: "Team sheet (Google Sheets) — disabled" })).toBeInTheDocument();
    await userEvent.selectOptions(select, "d1");
    expect(onChange).toHaveBeenCalledWith("d1");
    expect(screen.getByRole("link", { name: "Manage destinations" })).toHaveAttribute(
      "href",
      "/settings/destinations",
    );
  });
});
