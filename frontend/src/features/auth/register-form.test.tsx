import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { useSession } from "@/lib/api/session";
import { fakeApi, renderWithClient } from "@/test/render";

import { RegisterForm } from "./register-form";

const network = await vi.hoisted(async () => (await import("@/test/fake-fetch")).installFakeFetch());
const nav = await vi.hoisted(async () => await import("@/test/next-navigation"));
vi.mock("next/navigation", () => nav.navigation);

describe("RegisterForm", () => {
  beforeEach(() => {
    nav.router.replace.mockReset();
    nav.location.search = "";
    useSession.setState({ accessToken: null, orgId: null });
  });

  it("checks name, email and password length before sending", async () => {
    const api = fakeApi({ "GET /api/v1/auth/oauth/providers": { body: [] } });
    network.handler = api.handler;
    renderWithClient(<RegisterForm />);

    await userEvent.type(screen.getByLabelText("Email"), "not-an-email");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByText("Enter your name.")).toBeInTheDocument();
    expect(screen.getByText("Enter a valid email address.")).toBeInTheDocument();
    expect(screen.getByText("Use at least 8 characters.")).toBeInTheDocument();
    expect(api.called("POST /api/v1/auth/register")).toHaveLength(0);
  });

  it("creates the account, signs in with it and follows ?next=", async () => {
    nav.location.search = "?next=%2Finvitations%2Faccept%3Ftoken%3Dabc";
    const api = fakeApi({
      "GET /api/v1/auth/oauth/providers": { body: [] },
      "POST /api/v1/auth/register": {
        status: 201,
        body: { id: "u1", email: "ada@example.com", name: "Ada" },
      },
      "POST /api/v1/auth/login": { body: { access_token: "tok-2", token_type: "bearer", expires_in: 900 } },
    });
    network.handler = api.handler;
    renderWithClient(<RegisterForm />);

    await userEvent.type(screen.getByLabelText("Name"), "Ada");
    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));

    await waitFor(() => expect(nav.router.replace).toHaveBeenCalledWith("/invitations/accept?token=abc"));
    expect(api.called("POST /api/v1/auth/register")[0].body).toEqual({
      name: "Ada",
      email: "ada@example.com",
      password: "correct horse battery",
    });
    expect(api.called("POST /api/v1/auth/login")).toHaveLength(1);
    expect(useSession.getState().accessToken).toBe("tok-2");
  });

  it("shows why the API refused, e.g. a taken email", async () => {
    network.handler = fakeApi({
      "GET /api/v1/auth/oauth/providers": { body: [] },
      "POST /api/v1/auth/register": {
        status: 409,
        body: { error: { code: "EMAIL_TAKEN", message: "An account with this email already exists." } },
      },
    }).handler;
    renderWithClient(<RegisterForm />);

    await userEvent.type(screen.getByLabelText("Name"), "Ada");
    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByText("An account with this email already exists.")).toBeInTheDocument();
    expect(nav.router.replace).not.toHaveBeenCalled();
  });
});
