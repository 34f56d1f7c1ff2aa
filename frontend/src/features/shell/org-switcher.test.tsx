import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/lib/api/session";
import { fakeApi, renderWithClient } from "@/test/render";

import { OrgSwitcher } from "./org-switcher";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());

const org = (id: string, name: string, role = "owner") => ({
  id,
  name,
  role,
  slug: id,
  plan: "free",
  is_personal: id === "o1",
  created_at: "2026-11-01T00:00:00Z",
});
const ME = { id: "u1", email: "ada@example.com", name: "Ada", default_org_id: "o1" };

describe("OrgSwitcher", () => {
  beforeEach(() => useSession.setState({ accessToken: "tok", orgId: null }));

  it("starts in the person's default organization when none is chosen", async () => {
    network.handler = fakeApi({
      "GET /api/v1/orgs": { body: [org("o2", "Acme", "editor"), org("o1", "Ada's workspace")] },
      "GET /api/v1/users/me": { body: ME },
    }).handler;
    renderWithClient(<OrgSwitcher />);

    expect(await screen.findByRole("button", { name: /Switch organization/ })).toHaveTextContent(
      "Ada's workspace",
    );
    expect(useSession.getState().orgId).toBe("o1");
  });

  it("lists the organizations, switches, and resets what was cached for the previous one", async () => {
    useSession.setState({ orgId: "o1" });
    const api = fakeApi({
      "GET /api/v1/orgs": { body: [org("o1", "Ada's workspace"), org("o2", "Acme", "editor")] },
      "GET /api/v1/users/me": { body: ME },
    });
    network.handler = api.handler;
    const { client } = renderWithClient(<OrgSwitcher />);
    client.setQueryData(["usage", "o1"], { plan: "free" });

    await userEvent.click(await screen.findByRole("button", { name: /Switch organization/ }));
    const items = await screen.findAllByRole("menuitem");
    expect(items.map((item) => item.textContent)).toEqual([
      expect.stringContaining("Ada's workspace"),
      expect.stringContaining("Acme"),
      "Create organization",
    ]);
    await userEvent.click(screen.getByRole("menuitem", { name: /Acme/ }));

    expect(useSession.getState().orgId).toBe("o2");
    expect(client.getQueryData(["usage", "o1"])).toBeUndefined();
    expect(screen.getByRole("button", { name: /Switch organization/ })).toHaveTextContent("Acme");
  });

  it("creates an organization and switches to it", async () => {
    useSession.setState({ orgId: "o1" });
    const orgs = [org("o1", "Ada's workspace")];
    const api = fakeApi({
      "GET /api/v1/orgs": () => ({ body: orgs }),
      "GET /api/v1/users/me": { body: ME },
      "POST /api/v1/orgs": () => {
        orgs.push(org("o3", "Research"));
        return { status: 201, body: org("o3", "Research") };
      },
    });
    network.handler = api.handler;
    renderWithClient(<OrgSwitcher />);

    await userEvent.click(await screen.findByRole("button", { name: /Switch organization/ }));
    await userEvent.click(await screen.findByRole("menuitem", { name: "Create organization" }));
    await userEvent.click(await screen.findByRole("button", { name: "Create organization" }));
    expect(await screen.findByText("Give the organization a name.")).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Organization name"), "Research");
    await userEvent.click(screen.getByRole("button", { name: "Create organization" }));

    await waitFor(() => expect(useSession.getState().orgId).toBe("o3"));
    expect(api.called("POST /api/v1/orgs")[0].body).toEqual({ name: "Research" });
    await waitFor(() =>
      expect(screen.getByRole("button", { name: /Switch organization/ })).toHaveTextContent("Research"),
    );
  });
});
