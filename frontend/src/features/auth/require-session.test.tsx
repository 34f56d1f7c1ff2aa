import { screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/lib/api/session";
import { fakeApi, renderWithClient } from "@/test/render";

import { RequireSession } from "./require-session";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());
const nav = await vi.hoisted(async () => await import("@/test/next-navigation"));
vi.mock("next/navigation", () => nav.navigation);

describe("RequireSession", () => {
  beforeEach(() => {
    nav.router.replace.mockReset();
    nav.location.pathname = "/settings/usage";
    useSession.setState({ accessToken: null, orgId: null });
  });

  it("restores the session from the refresh cookie and shows the page", async () => {
    network.handler = fakeApi({
      "POST /api/v1/auth/refresh": { body: { access_token: "fresh", token_type: "bearer", expires_in: 900 } },
    }).handler;
    renderWithClient(<RequireSession>secret page</RequireSession>);

    expect(await screen.findByText("secret page")).toBeInTheDocument();
    expect(useSession.getState().accessToken).toBe("fresh");
    expect(nav.router.replace).not.toHaveBeenCalled();
  });

  it("sends a signed-out person to /login and back here afterwards", async () => {
    network.handler = fakeApi({
      "POST /api/v1/auth/refresh": { status: 401, body: { detail: "No session" } },
    }).handler;
    renderWithClient(<RequireSession>secret page</RequireSession>);

    await waitFor(() => expect(nav.router.replace).toHaveBeenCalledWith("/login?next=%2Fsettings%2Fusage"));
    expect(screen.queryByText("secret page")).not.toBeInTheDocument();
  });
});
