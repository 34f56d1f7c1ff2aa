import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Organization } from "@/hooks/queries/orgs";
import { fakeApi, renderWithClient } from "@/test/render";

import { ApiKeysSettings } from "./api-keys-settings";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());

const ORG: Organization = {
  id: "o1",
  name: "Acme",
  slug: "acme",
  plan: "free",
  role: "admin",
  is_personal: false,
  created_at: "2026-11-01T00:00:00Z",
};
const KEY = {
  id: "k1",
  name: "CI",
  prefix: "sf_abc",
  scopes: ["read"],
  created_at: "2026-11-02T00:00:00Z",
  last_used_at: null,
};

describe("ApiKeysSettings", () => {
  it("shows a new key's secret once, with a warning and a copy button, and never again", async () => {
    const keys: (typeof KEY)[] = [];
    const api = fakeApi({
      "GET /api/v1/orgs/o1/api-keys": () => ({ body: { items: keys, next_cursor: null } }),
      "POST /api/v1/orgs/o1/api-keys": () => {
        keys.push(KEY);
        return { status: 201, body: { ...KEY, key: "sf_abc_SECRET_VALUE" } };
      },
    });
    network.handler = api.handler;
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    renderWithClient(<ApiKeysSettings org={ORG} />);

    expect(await screen.findByText("No API keys yet")).toBeInTheDocument();
    await userEvent.click(screen.getAllByRole("button", { name: "Create API key" })[0]);
    await userEvent.clear(screen.getByLabelText("Key name"));
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByText("Give the key a name, e.g. where it is used.")).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Key name"), "CI");
    await userEvent.click(screen.getByLabelText(/^Write/));
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));

    const dialog = await screen.findByRole("dialog", { name: "Your new API key" });
    expect(within(dialog).getByText("sf_abc_SECRET_VALUE")).toBeInTheDocument();
    expect(within(dialog).getByText(/cannot be shown again/)).toBeInTheDocument();
    expect(api.called("POST /api/v1/orgs/o1/api-keys")[0].body).toEqual({
      name: "CI",
      scopes: ["read", "write"],
    });

    await userEvent.click(within(dialog).getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith("sf_abc_SECRET_VALUE");
    expect(await within(dialog).findByText("Copied")).toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByRole("cell", { name: "CI" })).toBeInTheDocument();
    expect(screen.queryByText("sf_abc_SECRET_VALUE")).not.toBeInTheDocument();
  });

  it("tells viewers and editors that keys are for admins instead of loading them", () => {
    const api = fakeApi({});
    network.handler = api.handler;
    renderWithClient(<ApiKeysSettings org={{ ...ORG, role: "editor" }} />);

    expect(screen.getByText("Only admins and owners can see and manage API keys.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create API key" })).not.toBeInTheDocument();
    expect(api.calls).toHaveLength(0);
  });
});
