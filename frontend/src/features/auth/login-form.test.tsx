import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/lib/api/session";
import { fakeApi, renderWithClient } from "@/test/render";

import { LoginForm } from "./login-form";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());
const nav = await vi.hoisted(async () => await import("@/test/next-navigation"));
vi.mock("next/navigation", () => nav.navigation);

describe("LoginForm", () => {
  beforeEach(() => {
    nav.router.replace.mockReset();
    nav.location.search = "";
    useSession.setState({ accessToken: null, orgId: null });
  });

  it("says what is wrong with empty fields and sends nothing", async () => {
    const api = fakeApi({ "GET /api/v1/auth/oauth/providers": { body: [] } });
    network.handler = api.handler;
    renderWithClient(<LoginForm />);

    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Enter a valid email address.")).toBeInTheDocument();
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
    expect(api.called("POST /api/v1/auth/login")).toHaveLength(0);
  });

  it("signs in, keeps the token in memory only, and goes to ?next=", async () => {
    nav.location.search = "?next=%2Fschedules";
    const api = fakeApi({
      "GET /api/v1/auth/oauth/providers": { body: [] },
      "POST /api/v1/auth/login": { body: { access_token: "tok-1", token_type: "bearer", expires_in: 900 } },
    });
    network.handler = api.handler;
    renderWithClient(<LoginForm />);

    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(nav.router.replace).toHaveBeenCalledWith("/schedules"));
    expect(api.called("POST /api/v1/auth/login")[0].body).toEqual({
      email: "ada@example.com",
      password: "correct horse",
    });
    expect(useSession.getState().accessToken).toBe("tok-1");
    expect(JSON.stringify(localStorage)).not.toContain("tok-1");
  });

  it("refuses a ?next= that leaves the site", async () => {
    nav.location.search = "?next=%2F%2Fevil.example";
    network.handler = fakeApi({
      "GET /api/v1/auth/oauth/providers": { body: [] },
      "POST /api/v1/auth/login": { body: { access_token: "tok", token_type: "bearer", expires_in: 900 } },
    }).handler;
    renderWithClient(<LoginForm />);

    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "pw");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(nav.router.replace).toHaveBeenCalledWith("/bots"));
  });

  it("shows the API's refusal", async () => {
    network.handler = fakeApi({
      "GET /api/v1/auth/oauth/providers": { body: [] },
      "POST /api/v1/auth/login": {
        status: 401,
        body: { error: { code: "INVALID_CREDENTIALS", message: "Wrong email or password." } },
      },
    }).handler;
    renderWithClient(<LoginForm />);

    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Wrong email or password.")).toBeInTheDocument();
    expect(nav.router.replace).not.toHaveBeenCalled();
  });

  it("offers the enabled OAuth providers with the next path, and explains an OAuth error code", async () => {
    nav.location.search = "?next=%2Fbots%2F1&error=oauth_cancelled";
    network.handler = fakeApi({
      "GET /api/v1/auth/oauth/providers": {
        body: [{ name: "github", authorize_url: "/api/v1/auth/oauth/github" }],
      },
    }).handler;
    renderWithClient(<LoginForm />);

    const link = await screen.findByRole("link", { name: "Continue with GitHub" });
    expect(link).toHaveAttribute("href", "/api/v1/auth/oauth/github?next=%2Fbots%2F1");
    expect(screen.getByText("The sign-in was cancelled.")).toBeInTheDocument();
  });
});
